using System.Collections;
using System.Management.Automation.Language;
using Provisioning.Core.Packaging;

namespace Provisioning.PowerShell;

/// <summary>
/// Reads a package definition (<c>.psd1</c>): a data-only hashtable whose keys are New-ProvPackage's parameter names.
/// Relative file paths are relative to the definition file's folder.
/// </summary>
internal static class PackageDefinitionFile
{
    internal static readonly string[] Keys =
    {
        "ConfigId", "ConfigAlias", "AppLabel", "NodeType", "NodeVersion", "HardwareType", "NodeFirmware", "NodeFieldConfig",
        "NodeFactoryConfig", "KmsPublicKeyFile", "GatewayKeyFile", "App",
    };

    // Keys by their older names, still read so existing definition files keep working.
    private static readonly Dictionary<string, string> OlderKeys = new(StringComparer.OrdinalIgnoreCase) { ["KmsPublicKeyPath"] = "KmsPublicKeyFile" };
    private static readonly Dictionary<string, string> OlderAppKeys = new(StringComparer.OrdinalIgnoreCase) { ["PublicKeyPath"] = "PublicKeyFile" };

    internal static Hashtable Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The package definition file '{path}' does not exist.", path);
        var ast = Parser.ParseFile(path, out _, out ParseError[] errors);
        if (errors.Length > 0)
            throw new FormatException($"The package definition file '{path}' is not valid PowerShell data: {errors[0].Message} (line {errors[0].Extent.StartLineNumber}).");
        var table = ast.Find(a => a is HashtableAst, false) as HashtableAst
            ?? throw new FormatException($"The package definition file '{path}' holds no hashtable (@{{ ... }}).");
        object? value;
        try { value = table.SafeGetValue(); }
        catch (InvalidOperationException e)
        {
            throw new FormatException($"The package definition file '{path}' may hold only data (strings, numbers, arrays, hashtables): {e.Message}", e);
        }
        var result = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in (Hashtable)value!)
        {
            string key = entry.Key.ToString() ?? "";
            key = OlderKeys.GetValueOrDefault(key, key);
            if (!Keys.Contains(key, StringComparer.OrdinalIgnoreCase))
                throw new FormatException($"The package definition file '{path}' has an unknown key '{entry.Key}'. Known keys: {string.Join(", ", Keys)}.");
            result[key] = entry.Value;
        }
        return result;
    }

    /// <summary>Converts one -App hashtable into a bundle definition; paths resolved by <paramref name="resolve"/>.</summary>
    internal static AppBundleDefinition ToApp(IDictionary app, Func<string, string> resolve)
    {
        string[] known = { "Name", "Version", "Firmware", "FieldConfig", "FactoryConfig", "PublicKeyFile" };
        string KeyOf(object key) => OlderAppKeys.GetValueOrDefault(key.ToString() ?? "", key.ToString() ?? "");
        foreach (var key in app.Keys)
        {
            if (!known.Contains(KeyOf(key), StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"An -App entry has an unknown key '{key}'. Known keys: {string.Join(", ", known)}.", "App");
        }
        string? Get(string name)
        {
            foreach (DictionaryEntry entry in app)
                if (string.Equals(KeyOf(entry.Key), name, StringComparison.OrdinalIgnoreCase))
                    return entry.Value?.ToString();
            return null;
        }
        string? File(string name) => Get(name) is { Length: > 0 } p ? resolve(p) : null;
        return new AppBundleDefinition
        {
            Name = Get("Name") ?? throw new ArgumentException("An -App entry has no Name.", "App"),
            Version = Get("Version") ?? throw new ArgumentException($"The -App entry '{Get("Name")}' has no Version.", "App"),
            Firmware = File("Firmware"),
            FieldConfig = File("FieldConfig"),
            FactoryConfig = File("FactoryConfig"),
            PublicKeyPath = File("PublicKeyFile"),
        };
    }
}
