using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;
using Provisioning.Core.Api;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>
/// Tab completion of config aliases (-ConfigAlias) and config IDs (-ConfigId) from the current server's overview.
/// Silent when no server is connected or it does not answer quickly.
/// </summary>
public sealed class ConfigCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        var connection = fakeBoundParameters["Server"] switch
        {
            ProvServerConnection c => c,
            ProvServerHandle h => h.Connection,
            _ => ProvServerSession.Current,
        };
        if (connection is null) return Array.Empty<CompletionResult>();

        IReadOnlyList<PackageSummary> packages;
        try
        {
            using var client = connection.OpenClient();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            packages = client.GetPackagesAsync(false, limit.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is ProvServerException or OperationCanceledException)
        {
            return Array.Empty<CompletionResult>();
        }

        bool ids = parameterName.Equals("ConfigId", StringComparison.OrdinalIgnoreCase);
        var candidates = ids
            ? packages.Select(p => (Text: p.ConfigId.ToString(CultureInfo.InvariantCulture), Tip: $"{p.AppLabel} ({p.NodeType} {p.NodeVersion})"))
            : packages.SelectMany(p => p.Aliases.Select(a => (Text: a, Tip: $"config {p.ConfigId}: {p.AppLabel}")));
        return candidates
            .Where(c => c.Text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .OrderBy(c => c.Text, StringComparer.OrdinalIgnoreCase)
            .Select(c => new CompletionResult(c.Text, c.Text, CompletionResultType.ParameterValue, c.Tip));
    }
}
