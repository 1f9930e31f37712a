using System.Globalization;
using System.Reflection;

namespace Provisioning.Server.Store;

/// <summary>One versioned schema script, e.g. <c>mysql/001_initial.sql</c> is version 1 for MySQL.</summary>
/// <param name="Version">The number its file name starts with.</param>
/// <param name="Name">Engine folder and file name, for messages.</param>
/// <param name="Sql">The script text. It records its own version in <c>schema_version</c>.</param>
public sealed record SchemaScript(int Version, string Name, string Sql);

/// <summary>The schema scripts shipped inside the server (embedded from <c>Store/Schema/&lt;engine&gt;/NNN_name.sql</c>).</summary>
public sealed class SchemaScripts
{
    private static readonly Dictionary<string, SchemaScripts> Loaded = new(StringComparer.Ordinal);

    /// <summary>Scripts in version order.</summary>
    public IReadOnlyList<SchemaScript> Scripts { get; }

    /// <summary>The newest version this server can create.</summary>
    public int Newest => Scripts[^1].Version;

    private SchemaScripts(IReadOnlyList<SchemaScript> scripts) => Scripts = scripts;

    /// <summary>The scripts of an engine (<c>sqlite</c> or <c>mysql</c>).</summary>
    public static SchemaScripts For(string engine)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(engine, out var scripts))
                Loaded[engine] = scripts = Load(engine);
            return scripts;
        }
    }

    private static SchemaScripts Load(string engine)
    {
        var assembly = typeof(SchemaScripts).Assembly;
        var prefix = $"{assembly.GetName().Name}.Store.Schema.{engine}.";
        var scripts = new List<SchemaScript>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
                continue;
            var file = resource[prefix.Length..];
            var digits = file.TakeWhile(char.IsAsciiDigit).Count();
            if (digits == 0)
                throw new InvalidOperationException($"Schema script {engine}/{file} does not start with its version number (e.g. 002_name.sql).");
            scripts.Add(new SchemaScript(int.Parse(file.AsSpan(0, digits), CultureInfo.InvariantCulture), $"{engine}/{file}", Read(assembly, resource)));
        }
        if (scripts.Count == 0)
            throw new InvalidOperationException($"The server was built without schema scripts for the '{engine}' engine.");
        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        var duplicate = scripts.Zip(scripts.Skip(1)).FirstOrDefault(p => p.First.Version == p.Second.Version);
        if (duplicate != default)
            throw new InvalidOperationException($"Schema scripts {duplicate.First.Name} and {duplicate.Second.Name} have the same version.");
        return new SchemaScripts(scripts);
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>The database was migrated by a newer server than this one.</summary>
public sealed class SchemaVersionTooNewException(int databaseVersion, int supportedVersion)
    : InvalidOperationException($"The database schema version {databaseVersion} is newer than this server supports ({supportedVersion}); upgrade the server.")
{
    /// <summary>The version in the database.</summary>
    public int DatabaseVersion { get; } = databaseVersion;

    /// <summary>The newest version this server knows.</summary>
    public int SupportedVersion { get; } = supportedVersion;
}
