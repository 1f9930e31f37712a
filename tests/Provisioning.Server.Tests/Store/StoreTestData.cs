using Provisioning.Core.Api;
using Provisioning.Core.Export;
using Provisioning.Core.Packaging;
using Provisioning.Server.Store;

namespace Provisioning.Server.Tests.Store;

/// <summary>Packages, device requests and export queries as the server would hand them to a store.</summary>
internal static class StoreTestData
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    public const string KeyAlgorithm = "RSA-OAEP-SHA256";
    public static readonly string KmsFingerprint = "SHA256:" + new string('f', 64);

    public static NewPackage Package(ulong configId, string[]? aliases = null, DateTimeOffset? importedAt = null, string comment = "line 1 import",
        byte sealedMarker = 1, char fileMarker = 'a', string[]? hardwareTypes = null) => new(
        new PackageManifest
        {
            ConfigId = new ProvConfigId(configId),
            Aliases = aliases ?? [],
            AppLabel = "kite_170",
            NodeType = "node-637",
            NodeVersion = "2.1.0",
            HardwareTypes = hardwareTypes ?? [],
            Apps = [new PackageApp("meter", "1.4"), new PackageApp("valve", "0.9")],
            Files =
            [
                new PackageFileEntry("node/firmware/node.bin", PackageFileRole.NodeFirmware, null, 4096, new string(fileMarker, 32), new string(fileMarker, 64)),
                new PackageFileEntry("apps/meter/firmware.bin", PackageFileRole.AppFirmware, "meter", 2048, new string('b', 32), new string('b', 64)),
                new PackageFileEntry("kms/kms_public.pem", PackageFileRole.KmsPublicKey, null, 451, new string('c', 32), new string('c', 64)),
            ],
            Created = T0.AddDays(-1),
            Creator = "Provisioning 0.1.0",
        },
        comment, importedAt ?? T0, new string('d', 64), "-----BEGIN PUBLIC KEY-----\nKMS\n-----END PUBLIC KEY-----\n", KmsFingerprint,
        new Dictionary<string, string> { ["meter"] = "-----BEGIN PUBLIC KEY-----\nMETER\n-----END PUBLIC KEY-----\n" },
        [0xA5, 0x5A, sealedMarker]);

    public static byte[] RootKey(byte marker) => Enumerable.Range(0, 256).Select(i => (byte)(i ^ marker)).ToArray();

    public static DeviceRecordRequest Device(ulong configId, uint batch = 1000, DateTimeOffset? timestamp = null, byte keyMarker = 1,
        IReadOnlyList<DeviceApp>? apps = null, string? station = "line1/COM3") =>
        new(configId, batch, timestamp ?? T0, Convert.ToBase64String(RootKey(keyMarker)), KeyAlgorithm, KmsFingerprint,
            apps ?? [new DeviceApp("meter", "0a0b0c0d", "c0ffee", null), new DeviceApp("valve", null, null, "ff")], station, Kcv(keyMarker));

    /// <summary>The key check value standing for key <paramref name="keyMarker"/> (the store only compares them).</summary>
    public static string Kcv(byte keyMarker) => $"{keyMarker:X2}C0DE";

    public static ExportQuery Query(ulong configId, UIntRange[]? batches = null, UIntRange[]? nodes = null, DateTimeOffset? from = null,
        DateTimeOffset? to = null, bool includePending = false) =>
        new(configId, batches ?? [], nodes ?? [], from, to, includePending);

    public static UIntRange R(uint first, uint last) => new(first, last);
    public static UIntRange R(uint single) => new(single, single);
}
