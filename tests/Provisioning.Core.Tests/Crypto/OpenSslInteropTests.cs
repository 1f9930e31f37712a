using Provisioning.Core.Crypto;

namespace Provisioning.Core.Tests.Crypto;

/// <summary>The command lines of docs/key-files.md, run against files the code wrote.</summary>
public class OpenSslInteropTests(KmsKeyFixture kms) : IClassFixture<KmsKeyFixture>
{
    [Fact]
    public void FingerprintEqualsOpenSslsSha256OfThePublicKeyDer()
    {
        var der = OpenSsl.Run("pkey", "-pubin", "-in", kms.Files.PublicKeyPath, "-outform", "DER");
        Assert.Equal(0, der.ExitCode);
        string expected = "SHA256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(der.StdoutBytes));
        Assert.Equal(expected, kms.Files.Fingerprint);
    }

    [Fact]
    public void OpenSslVerifiesOurSignature()
    {
        using var dir = new TempDirectory();
        using var keys = GatewayKeys.CreateRandom();
        var info = GatewayKeyFile.Write(dir.Path, keys, "passphrase", kms.PrivateKey, iterations: 10_000);

        var ok = OpenSsl.Run("dgst", "-sha256", "-verify", kms.Files.PublicKeyPath, "-signature", info.SignaturePath, info.Path);
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("Verified OK", ok.Stdout.Trim());

        byte[] changed = File.ReadAllBytes(info.Path);
        changed[^1] ^= 1;
        File.WriteAllBytes(info.Path, changed);
        var bad = OpenSsl.Run("dgst", "-sha256", "-verify", kms.Files.PublicKeyPath, "-signature", info.SignaturePath, info.Path);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Equal("Verification failure", bad.Stdout.Trim());
    }

    [Fact]
    public void OpenSslReadsOurEncryptedPrivateKeyAndItsParameters()
    {
        using var dir = new TempDirectory();
        var files = KmsKeyPair.Create(dir.Path, "open sesame");

        var key = OpenSsl.Run("pkey", "-in", files.PrivateKeyPath, "-passin", "pass:open sesame", "-pubout");
        Assert.Equal(0, key.ExitCode);
        Assert.Equal(File.ReadAllText(files.PublicKeyPath), key.Stdout);

        var wrong = OpenSsl.Run("pkey", "-in", files.PrivateKeyPath, "-passin", "pass:wrong", "-noout");
        Assert.NotEqual(0, wrong.ExitCode);

        var asn1 = OpenSsl.Run("asn1parse", "-in", files.PrivateKeyPath);
        Assert.Equal(0, asn1.ExitCode);
        Assert.Contains("PBES2", asn1.Stdout);
        Assert.Contains("aes-256-cbc", asn1.Stdout);
        Assert.Contains("hmacWithSHA256", asn1.Stdout);
        Assert.Contains(":0927C0", asn1.Stdout); // 600000 iterations
    }

    [Fact]
    public void WeReadAKeyOpenSslEncrypted()
    {
        using var dir = new TempDirectory();
        string path = dir.File("openssl_key.pem");
        var gen = OpenSsl.Run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-aes-256-cbc", "-pass", "pass:secret", "-out", path);
        Assert.Equal(0, gen.ExitCode);
        var pub = OpenSsl.Run("pkey", "-in", path, "-passin", "pass:secret", "-pubout");
        using var rsa = KmsKeyPair.LoadPrivateKey(path, "secret");
        using var fromOpenSsl = KmsKeyPair.ParsePublicKey(pub.Stdout, "openssl output");
        Assert.Equal(KmsKeyPair.Fingerprint(fromOpenSsl), KmsKeyPair.Fingerprint(rsa));
    }

    [Fact]
    public void LegacyEncryptedPemIsRefusedAndTheDocumentedConversionFixesIt()
    {
        using var dir = new TempDirectory();
        string legacy = dir.File("legacy.pem"), converted = dir.File("converted.pem");
        Assert.Equal(0, OpenSsl.Run("pkey", "-in", kms.Files.PrivateKeyPath, "-traditional", "-aes256", "-passout", "pass:x", "-out", legacy).ExitCode);

        var e = Assert.Throws<KeyFileException>(() => KmsKeyPair.LoadPrivateKey(legacy, "x"));
        Assert.Contains("legacy OpenSSL PEM encryption", e.Message);
        Assert.Contains(legacy, e.Message);

        Assert.Equal(0, OpenSsl.Run("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", legacy, "-passin", "pass:x", "-passout", "pass:y", "-out", converted).ExitCode);
        using var rsa = KmsKeyPair.LoadPrivateKey(converted, "y");
        Assert.Equal(kms.Files.Fingerprint, KmsKeyPair.Fingerprint(rsa));
    }
}
