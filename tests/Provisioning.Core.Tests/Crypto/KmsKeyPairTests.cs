using System.Security.Cryptography;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Tests.Crypto;

public class KmsKeyPairTests(KmsKeyFixture kms) : IClassFixture<KmsKeyFixture>
{
    private const string Passphrase = "kms operator passphrase";

    [Fact]
    public void PlainKeyPairIsPkcs8AndSpkiPem()
    {
        Assert.Equal(KmsKeyPair.DefaultKeySize, kms.Files.KeySize);
        Assert.False(kms.Files.Encrypted);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(kms.Files.PrivateKeyPath));
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", File.ReadAllText(kms.Files.PublicKeyPath));
        Assert.Equal(kms.Files.Fingerprint, KmsKeyPair.Fingerprint(kms.PublicKey));
        Assert.Equal(kms.Files.Fingerprint, KmsKeyPair.Fingerprint(kms.PrivateKey));
        Assert.Matches("^SHA256:[0-9a-f]{64}$", kms.Files.Fingerprint);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kms.Files.PrivateKeyPath));
    }

    [Fact]
    public void EncryptedPrivateKeyOpensOnlyWithItsPassphrase()
    {
        using var dir = new TempDirectory();
        var files = KmsKeyPair.Create(Path.Combine(dir.Path, "new", "folder"), Passphrase);
        Assert.True(files.Encrypted);
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", File.ReadAllText(files.PrivateKeyPath));

        using (var rsa = KmsKeyPair.LoadPrivateKey(files.PrivateKeyPath, Passphrase))
            Assert.Equal(files.Fingerprint, KmsKeyPair.Fingerprint(rsa));

        var wrong = Assert.Throws<WrongPassphraseException>(() => KmsKeyPair.LoadPrivateKey(files.PrivateKeyPath, "wrong"));
        Assert.Equal($"The passphrase is wrong: it does not open the private key file {files.PrivateKeyPath}.", wrong.Message);

        var missing = Assert.Throws<KeyFileException>(() => KmsKeyPair.LoadPrivateKey(files.PrivateKeyPath, ""));
        Assert.Equal($"The private key file '{files.PrivateKeyPath}' is encrypted: give its passphrase.", missing.Message);
    }

    [Fact]
    public void Pkcs1KeysLoad()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("rsa.pem"), kms.PrivateKey.ExportRSAPrivateKeyPem());
        File.WriteAllText(dir.File("rsa.pub.pem"), kms.PrivateKey.ExportRSAPublicKeyPem());
        using var privateKey = KmsKeyPair.LoadPrivateKey(dir.File("rsa.pem"), "");
        using var publicKey = KmsKeyPair.LoadPublicKey(dir.File("rsa.pub.pem"));
        Assert.Equal(kms.Files.Fingerprint, KmsKeyPair.Fingerprint(privateKey));
        Assert.Equal(kms.Files.Fingerprint, KmsKeyPair.Fingerprint(publicKey));
    }

    [Fact]
    public void CreateRefusesExistingFilesUnlessOverwriting()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File(KmsKeyPair.PublicKeyFileName), "old");
        var e = Assert.Throws<KeyFileException>(() => KmsKeyPair.Create(dir.Path, "", keySize: 2048));
        Assert.Contains(dir.File(KmsKeyPair.PublicKeyFileName), e.Message);
        Assert.False(File.Exists(dir.File(KmsKeyPair.PrivateKeyFileName)));

        var files = KmsKeyPair.Create(dir.Path, "", overwrite: true, keySize: 2048);
        Assert.Equal(2048, files.KeySize);
        using var publicKey = KmsKeyPair.LoadPublicKey(files.PublicKeyPath);
        Assert.Equal(files.Fingerprint, KmsKeyPair.Fingerprint(publicKey));
        Assert.Equal(2, Directory.GetFiles(dir.Path).Length); // no temp files left
    }

    [Fact]
    public void MissingOrWrongFilesGiveMessagesNamingTheFile()
    {
        using var dir = new TempDirectory();
        string missing = dir.File("nope.pem");
        Assert.Contains($"'{missing}' was not found", Assert.Throws<KeyFileException>(() => KmsKeyPair.LoadPrivateKey(missing, "")).Message);
        Assert.Contains($"'{missing}' was not found", Assert.Throws<KeyFileException>(() => KmsKeyPair.LoadPublicKey(missing)).Message);

        string text = dir.File("text.pem");
        File.WriteAllText(text, "hello");
        Assert.Equal($"'{text}' is not a PEM RSA private key.", Assert.Throws<KeyFileException>(() => KmsKeyPair.LoadPrivateKey(text, "")).Message);
        Assert.Equal($"'{text}' is not a PEM RSA public key.", Assert.Throws<KeyFileException>(() => KmsKeyPair.LoadPublicKey(text)).Message);

        // The public key file where a private one is expected, and an EC key: no crash, a clear message.
        Assert.Contains("is not a PEM RSA private key", Assert.Throws<KeyFileException>(() => KmsKeyPair.LoadPrivateKey(kms.Files.PublicKeyPath, "")).Message);
        string ec = dir.File("ec.pem");
        using (var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            File.WriteAllText(ec, ecdsa.ExportPkcs8PrivateKeyPem());
        Assert.Contains("is not a PEM RSA private key", Assert.Throws<KeyFileException>(() => KmsKeyPair.LoadPrivateKey(ec, "")).Message);
    }

    [Fact]
    public void APrivateKeyIsRefusedWherePublicIsExpectedWithoutShowingIt()
    {
        string pem = File.ReadAllText(kms.Files.PrivateKeyPath);
        var e = Assert.Throws<KeyFileException>(() => KmsKeyPair.ParsePublicKey(pem, "manifest.xml"));
        Assert.Equal("'manifest.xml' holds a private key; a package must carry only the public key.", e.Message);
        string body = pem.Split('\n')[1];
        Assert.DoesNotContain(body, e.ToString());

        var fromFile = Assert.Throws<KeyFileException>(() => KmsKeyPair.LoadPublicKey(kms.Files.PrivateKeyPath));
        Assert.Equal($"'{kms.Files.PrivateKeyPath}' holds a private key; a package must carry only the public key.", fromFile.Message);
    }

    [Fact]
    public void MalformedPublicKeyIsAKeyFileError()
    {
        string pem = "-----BEGIN PUBLIC KEY-----\nAAECAwQF\n-----END PUBLIC KEY-----\n";
        var e = Assert.Throws<KeyFileException>(() => KmsKeyPair.ParsePublicKey(pem, "kms_key.pub.pem"));
        Assert.Equal("'kms_key.pub.pem' is not a PEM RSA public key.", e.Message);
    }
}
