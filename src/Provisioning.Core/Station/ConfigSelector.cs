using System.Globalization;
using Provisioning.Core.Packaging;

namespace Provisioning.Core.Station;

/// <summary>Which configuration a station provisions with: a config ID, or an alias the server maps to one (guide §7.2.2).</summary>
public sealed record ConfigSelector
{
    private ConfigSelector(ulong? id, string? alias)
    {
        ConfigId = id;
        Alias = alias;
    }

    /// <summary>The config ID, when given as one.</summary>
    public ulong? ConfigId { get; }

    /// <summary>The alias, when given as one.</summary>
    public string? Alias { get; }

    /// <summary>A selector by config ID.</summary>
    public static ConfigSelector ById(ulong configId) => new(configId, null);

    /// <summary>A selector by alias.</summary>
    public static ConfigSelector ByAlias(string alias)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(alias);
        return new(null, alias.Trim());
    }

    /// <summary>
    /// Reads what an operator typed: exactly one of a config ID (decimal or 0x hex, unsigned 64-bit) and an alias;
    /// blank counts as not given. False with a message naming the problem otherwise (Table 4 code 3).
    /// </summary>
    public static bool TryCreate(string? configId, string? alias, out ConfigSelector? selector, out string? error)
    {
        selector = null;
        bool hasId = !string.IsNullOrWhiteSpace(configId), hasAlias = !string.IsNullOrWhiteSpace(alias);
        if (hasId && hasAlias)
        {
            error = $"Give either -ConfigId or -ConfigAlias, not both (got config ID '{configId!.Trim()}' and alias '{alias!.Trim()}'): the server maps an alias to its ID itself.";
            return false;
        }
        if (!hasId && !hasAlias)
        {
            error = "No configuration given: add -ConfigId (decimal or 0x hex) or -ConfigAlias naming an imported package.";
            return false;
        }
        if (hasAlias)
        {
            selector = ByAlias(alias!);
            error = null;
            return true;
        }
        if (!ProvConfigId.TryParse(configId, out var id, out error)) return false;
        selector = ById(id.Value);
        return true;
    }

    /// <inheritdoc/>
    public override string ToString()
        => ConfigId is { } id ? $"config {id.ToString(CultureInfo.InvariantCulture)}" : $"config alias '{Alias}'";
}
