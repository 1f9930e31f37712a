using System.Text.Json;
using System.Text.Json.Serialization;

namespace Provisioning.Core.Node.Simulator;

/// <summary>The simulated node's flash as stored in the state file (JSON). Keys are hex: this file is the device.</summary>
internal sealed class NodeFlash
{
    public uint NodeId { get; set; }
    public string FirmwareVersion { get; set; } = "";
    public string FirmwareSha256 { get; set; } = "";
    public string FieldConfigSha256 { get; set; } = "";
    public string FactoryConfigSha256 { get; set; } = "";
    public SortedDictionary<NodeKeySlot, string> Keys { get; set; } = new();
    public NodeLockFlags Locks { get; set; }
    public int Resets { get; set; }
    public int FirmwareWrites { get; set; }
    public PartialImage? Partial { get; set; }
    /// <summary>The configuration committed last, which the node runs (null: none committed since this was recorded).</summary>
    public NodeImageTarget? ActiveConfig { get; set; }
    /// <summary>The network the factory configuration names (its <c>network_id=</c> line); null when it names none.</summary>
    public string? FactoryNetworkId { get; set; }
}

/// <summary>An image transfer that has not been committed yet, kept so a new connection can resume it.</summary>
internal sealed class PartialImage
{
    public NodeImageTarget Target { get; set; }
    public uint Size { get; set; }
    public string Sha256 { get; set; } = "";
    public string Version { get; set; } = "";
    public uint Received { get; set; }
    /// <summary>The bytes received so far (base64 in the file).</summary>
    public byte[] Data { get; set; } = [];
}

/// <summary>Reads and writes the state file: atomically (temporary file, then rename) and readable by its owner only.</summary>
internal static class NodeStateFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    public static NodeFlash? Load(string path) => Load<NodeFlash>(path, "node", "the node");

    public static void Save(string path, NodeFlash flash) => Save<NodeFlash>(path, flash);

    /// <summary>Reads a simulated device's state file; null when there is none. <paramref name="device"/> names it in errors.</summary>
    public static T? Load<T>(string path, string device, string deviceWithArticle) where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<T>(stream, Json)
                ?? throw new InvalidDataException($"The {device} state file '{path}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The {device} state file '{path}' is not valid JSON ({e.Message}). Delete it to start {deviceWithArticle} with empty flash.", e);
        }
    }

    /// <summary>Writes a simulated device's state file atomically (temporary file, then rename), readable by its owner only.</summary>
    public static void Save<T>(string path, T state)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = $"{full}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temp, options))
            {
                JsonSerializer.Serialize(stream, state, Json);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
