using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Provisioning.Core.Packaging;

namespace Provisioning.Core.Tests.Packaging;

/// <summary>
/// A temporary folder with the input files of a package (node files, two app bundles, real RSA keys and a
/// signed stand-in gateway key file), made with the BCL only so these tests do not depend on the crypto bodies.
/// </summary>
public sealed class PackageFixture : IDisposable
{
    private static readonly Lazy<RSA> SharedKms = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> SharedAppKey = new(() => RSA.Create(2048));

    public string Root { get; } = Directory.CreateTempSubdirectory("prov-pkg-").FullName;
    public string Input => Path.Combine(Root, "input");
    public PackageDefinition Definition { get; }
    /// <summary>Archive path → local file, for every file the definition puts into a package.</summary>
    public Dictionary<string, string> Files { get; } = new();

    public PackageFixture(int firmwareSize = 4096, RSA? signingKey = null)
    {
        Directory.CreateDirectory(Input);
        var kms = SharedKms.Value;
        var gatewayBytes = RandomNumberGenerator.GetBytes(300);
        Definition = new PackageDefinition
        {
            ConfigId = new ProvConfigId(69),
            AppLabel = "ge_sgm3000_falconv1_zigbeev2",
            NodeType = "UNODE",
            NodeVersion = "1.2.3.4",
            NodeFirmware = Make("node/firmware/node_fw.bin", RandomNumberGenerator.GetBytes(firmwareSize)),
            NodeFieldConfig = Make("node/field_config/field.cfg", "system_id=7\nap=1,2,3\n"u8.ToArray()),
            NodeFactoryConfig = Make("node/factory_config/factory.cfg", "system_id=1\n"u8.ToArray()),
            KmsPublicKeyPath = Make("keys/kms_key.pub.pem", System.Text.Encoding.ASCII.GetBytes(kms.ExportSubjectPublicKeyInfoPem())),
            GatewayKeyFile = Make("keys/gw_keys.csv.aes", gatewayBytes),
        };
        Make("keys/gw_keys.csv.aes.sig", (signingKey ?? kms).SignData(gatewayBytes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Definition.Aliases.Add("kite_170");
        Definition.Aliases.Add("kite-171");
        Definition.Apps.Add(new AppBundleDefinition
        {
            Name = "emcm",
            Version = "5.6.7.8",
            Firmware = Make("apps/emcm/firmware/emcm.bin", RandomNumberGenerator.GetBytes(2048)),
            FieldConfig = Make("apps/emcm/field_config/emcm_field.cfg", "mode=field\n"u8.ToArray()),
            FactoryConfig = Make("apps/emcm/factory_config/emcm_factory.cfg", "mode=factory\n"u8.ToArray()),
            PublicKeyPath = Make("apps/emcm/public_key/backend.pub.pem", System.Text.Encoding.ASCII.GetBytes(SharedAppKey.Value.ExportSubjectPublicKeyInfoPem())),
        });
        Definition.Apps.Add(new AppBundleDefinition
        {
            Name = "zigbee",
            Version = "2.0",
            Firmware = Make("apps/zigbee/firmware/zb.bin", RandomNumberGenerator.GetBytes(1024)),
        });
    }

    /// <summary>Writes an input file, in a folder of its own so names like gw_keys.csv.aes.sig sit beside their partner.</summary>
    private string Make(string archivePath, byte[] content)
    {
        var local = Path.Combine(Input, archivePath.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(local)!);
        File.WriteAllBytes(local, content);
        Files[archivePath] = local;
        return local;
    }

    /// <summary>The package's entries as our writer lays them out: manifest first, then the files in manifest order.</summary>
    public List<(string Name, byte[] Content)> Entries(PackageManifest? manifest = null)
    {
        manifest ??= PackageWriter.Describe(Definition);
        var entries = new List<(string, byte[])> { (PackageManifest.EntryName, ManifestBytes(manifest)) };
        entries.AddRange(manifest.Files.Select(f => (f.Path, File.ReadAllBytes(Files[f.Path]))));
        return entries;
    }

    public static byte[] ManifestBytes(PackageManifest manifest)
    {
        using var ms = new MemoryStream();
        manifest.Write(ms);
        return ms.ToArray();
    }

    /// <summary>A fresh empty folder below the fixture root.</summary>
    public string Folder(string name) => Directory.CreateDirectory(Path.Combine(Root, name)).FullName;

    /// <summary>Every file below the fixture root except the inputs, for "nothing was written" checks.</summary>
    public string[] FilesOutsideInput() =>
        Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).Where(f => !f.StartsWith(Input, StringComparison.Ordinal)).ToArray();

    public void Dispose() => Directory.Delete(Root, recursive: true);

    /// <summary>A .tar.gz made by TarWriter from arbitrary entries (the tests build malicious archives with it).</summary>
    public static byte[] TarGz(IEnumerable<TarEntry> entries)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var entry in entries)
                tar.WriteEntry(entry);
        return output.ToArray();
    }

    public static byte[] TarGz(IEnumerable<(string Name, byte[] Content)> files) => TarGz(files.Select(f => Entry(f.Name, f.Content)));

    public static PaxTarEntry Entry(string name, byte[] content) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) };
}
