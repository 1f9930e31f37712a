using System.Security.Cryptography;
using System.Xml.Linq;
using Provisioning.Core.Export;

namespace Provisioning.Core.Tests.Export;

/// <summary>The KMS side of docs/export-format.md, run for real: a root key encrypted as a station does it, exported, then decrypted with openssl.</summary>
public sealed class KeyExportOpenSslTests : IDisposable
{
    // The commands exactly as docs/export-format.md gives them, run in a folder holding kms_key.pem and device_keys.xml.
    private const string Extract =
        "xmllint --xpath 'string(//*[local-name()=\"device\"][@nodeId=\"0x00000010\"]/*[local-name()=\"rootKey\"])' device_keys.xml > rootkey.b64";
    private const string Decrypt =
        "base64 -d rootkey.b64 | openssl pkeyutl -decrypt -inkey kms_key.pem -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -out rootkey.bin";

    private readonly string _dir = Directory.CreateTempSubdirectory("prov-export-").FullName;
    private readonly RSA _kms = RSA.Create(3072);
    private readonly byte[] _rootKey = RandomNumberGenerator.GetBytes(16);

    public void Dispose()
    {
        _kms.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string InDir(string name) => Path.Combine(_dir, name);

    /// <summary>Writes kms_key.pem (PKCS#8, as New-ProvKmsKeyPair does without a passphrase) and an export holding the encrypted root key of node 0x10.</summary>
    private async Task<byte[]> ExportAsync()
    {
        await File.WriteAllTextAsync(InDir("kms_key.pem"), _kms.ExportPkcs8PrivateKeyPem() + "\n");
        // A station encrypts with the public key only.
        using var publicKey = RSA.Create();
        publicKey.ImportSubjectPublicKeyInfo(_kms.ExportSubjectPublicKeyInfo(), out _);
        byte[] encrypted = publicKey.Encrypt(_rootKey, RSAEncryptionPadding.OaepSHA256);
        Assert.Equal(384, encrypted.Length);

        var file = await ExportSamples.WriteAsync([ExportSamples.Device(0x0F), ExportSamples.Device(0x10) with { EncryptedRootKey = encrypted }, ExportSamples.Device(0x11)]);
        await File.WriteAllBytesAsync(InDir("device_keys.xml"), file);
        return encrypted;
    }

    private ExternalTool.Result Shell(string command) => ExternalTool.Run("bash", "-c", "cd \"$1\" && " + command, "shell", _dir);

    [ToolFact("openssl", "base64")]
    public async Task Openssl_decrypts_an_exported_root_key_with_the_documented_command()
    {
        await ExportAsync();
        // The base64 text of node 0x10's rootKey, taken from the file as any XML tool would.
        XNamespace ns = KeyExportWriter.Namespace;
        var rootKey = XDocument.Load(InDir("device_keys.xml")).Root!.Elements(ns + "device")
            .Single(d => (string?)d.Attribute("nodeId") == "0x00000010").Element(ns + "rootKey")!;
        Assert.Equal("RSA-OAEP-SHA256", (string?)rootKey.Attribute("algorithm"));
        await File.WriteAllTextAsync(InDir("rootkey.b64"), rootKey.Value);

        var run = Shell(Decrypt);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(_rootKey, await File.ReadAllBytesAsync(InDir("rootkey.bin")));
    }

    [ToolFact("openssl", "base64", "xmllint")]
    public async Task The_documented_xmllint_command_extracts_the_root_key_openssl_decrypts()
    {
        byte[] encrypted = await ExportAsync();

        var extract = Shell(Extract);
        Assert.True(extract.ExitCode == 0, extract.Stderr);
        Assert.Equal(Convert.ToBase64String(encrypted), (await File.ReadAllTextAsync(InDir("rootkey.b64"))).Trim());

        var run = Shell(Decrypt);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(_rootKey, await File.ReadAllBytesAsync(InDir("rootkey.bin")));
    }

    [Fact]
    public async Task The_reader_gives_the_key_a_kms_decrypts()
    {
        byte[] encrypted = await ExportAsync();
        using var reader = KeyExportReader.Open(InDir("device_keys.xml"));
        var device = reader.ReadAll().Single(d => d.NodeId == 0x10);
        Assert.Equal(encrypted, device.EncryptedRootKey);
        Assert.Equal(_rootKey, _kms.Decrypt(device.EncryptedRootKey, RSAEncryptionPadding.OaepSHA256));
    }
}
