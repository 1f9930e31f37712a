using Provisioning.Core.Api;
using Provisioning.Core.Export;

namespace Provisioning.Core.Tests.Export;

/// <summary>Devices and export files for the export tests.</summary>
internal static class ExportSamples
{
    public const ulong ConfigId = 69;
    public const string Fingerprint = "SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    public static readonly DateTimeOffset Start = new(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);

    public static KeyExportHeader Header(ulong configId = ConfigId) => new(
        ExportId: 17, configId, Created: new DateTimeOffset(2026, 11, 27, 9, 30, 15, 250, TimeSpan.Zero),
        Batch: "1000,1002-1005", NodeId: null, From: Start, To: null, IncludePending: false, ServerVersion: "0.1.0");

    /// <summary>A device with a deterministic 384-byte "encrypted" key (content does not matter to the format).</summary>
    public static ExportedDevice Device(uint nodeId, IReadOnlyList<DeviceApp>? apps = null, string status = DeviceStatus.Confirmed)
    {
        var key = new byte[384];
        new Random((int)nodeId).NextBytes(key);
        return new ExportedDevice(nodeId, ConfigId, 1000 + nodeId % 4, Start.AddSeconds(nodeId), status, key,
            "RSA-OAEP-SHA256", Fingerprint, apps ?? []);
    }

    public static IEnumerable<ExportedDevice> Devices(int count) =>
        Enumerable.Range(0, count).Select(i => Device((uint)(0x100 + i),
            i % 3 == 0 ? [new DeviceApp("emcm", "0A1B2C3D", "00FF", null)] : null,
            i % 5 == 4 ? DeviceStatus.Pending : DeviceStatus.Confirmed));

    public static async Task<byte[]> WriteAsync(IEnumerable<ExportedDevice> devices, KeyExportHeader? header = null)
    {
        using var output = new MemoryStream();
        await using (var writer = new KeyExportWriter(output, header ?? Header()))
        {
            foreach (var device in devices)
                await writer.WriteAsync(device);
            await writer.CompleteAsync();
        }
        return output.ToArray();
    }

    public static List<ExportedDevice> ReadAll(byte[] file, string name = "device_keys.xml")
    {
        using var reader = new KeyExportReader(new MemoryStream(file), name);
        return [.. reader.ReadAll()];
    }

    /// <summary>The published schema in the source tree (the one the documentation's xmllint command names).</summary>
    public static string SchemaPath { get; } = SourceTree.Find($"docs/schemas/{KeyExportSchema.FileName}");
}
