using System.Security.Cryptography;
using System.Text;
using Provisioning.Core.Crypto;
using Provisioning.Core.Packaging;

namespace Provisioning.Server.Tests.Api;

/// <summary>
/// A network's keys made with the real crypto (KMS RSA key, gateway key file under a passphrase) and packages built
/// with the real writer, in a temporary folder.
/// </summary>
public sealed class TestNetwork : IDisposable
{
    public const string Passphrase = "correct horse battery staple";
    private static readonly Lazy<RSA> SharedKms = new(() => RSA.Create(3072));

    public string Root { get; } = Directory.CreateTempSubdirectory("prov-net-").FullName;
    public RSA Kms => SharedKms.Value;
    public byte[] GatewayKey { get; } = RandomNumberGenerator.GetBytes(16);
    public byte[] CdldKey { get; } = RandomNumberGenerator.GetBytes(16);
    public string KmsFingerprint => KmsKeyPair.Fingerprint(Kms);
    private readonly string _keys;

    public TestNetwork()
    {
        _keys = Path.Combine(Root, "keys");
        Directory.CreateDirectory(_keys);
        File.WriteAllText(Path.Combine(_keys, "kms_key.pub.pem"), Kms.ExportSubjectPublicKeyInfoPem() + "\n");
        using var keys = new GatewayKeys((byte[])GatewayKey.Clone(), (byte[])CdldKey.Clone());
        byte[] encrypted = GatewayKeyFile.Encrypt(keys, Passphrase, iterations: 10_000);
        File.WriteAllBytes(Path.Combine(_keys, "gw_keys.csv.aes"), encrypted);
        File.WriteAllBytes(Path.Combine(_keys, "gw_keys.csv.aes.sig"), GatewayKeyFile.Sign(encrypted, Kms));
    }

    /// <summary>Builds a package for <paramref name="configId"/> and returns its path.</summary>
    public string Package(ulong configId, string[]? aliases = null, string nodeVersion = "1.2.3.4", int firmwareSize = 4096, string? name = null)
    {
        string dir = Path.Combine(Root, "in-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string Make(string file, byte[] content)
        {
            string path = Path.Combine(dir, file);
            File.WriteAllBytes(path, content);
            return path;
        }
        var definition = new PackageDefinition
        {
            ConfigId = new ProvConfigId(configId),
            AppLabel = "ge_sgm3000_falconv1_zigbeev2",
            NodeType = "UNODE",
            NodeVersion = nodeVersion,
            NodeFirmware = Make("node.bin", RandomNumberGenerator.GetBytes(firmwareSize)),
            NodeFieldConfig = Make("field.cfg", "system_id=7\n"u8.ToArray()),
            NodeFactoryConfig = Make("factory.cfg", "system_id=1\n"u8.ToArray()),
            KmsPublicKeyPath = Path.Combine(_keys, "kms_key.pub.pem"),
            GatewayKeyFile = Path.Combine(_keys, "gw_keys.csv.aes"),
        };
        foreach (var alias in aliases ?? [])
            definition.Aliases.Add(alias);
        definition.Apps.Add(new AppBundleDefinition
        {
            Name = "emcm",
            Version = "5.6.7.8",
            Firmware = Make("emcm.bin", RandomNumberGenerator.GetBytes(2048)),
            FieldConfig = Make("emcm_field.cfg", "mode=field\n"u8.ToArray()),
            PublicKeyPath = Make("emcm.pub.pem", Encoding.ASCII.GetBytes(Kms.ExportSubjectPublicKeyInfoPem())),
        });
        string output = Path.Combine(Root, name ?? $"config_{configId}_{Guid.NewGuid():N}.tar.gz");
        PackageWriter.Build(definition, output);
        return output;
    }

    /// <summary>A fresh root key encrypted for the KMS, base64, as a station sends it.</summary>
    public string EncryptedRootKey(out byte[] rootKey)
    {
        rootKey = RandomNumberGenerator.GetBytes(16);
        return Convert.ToBase64String(Kms.Encrypt(rootKey, RSAEncryptionPadding.OaepSHA256));
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
