using System.Buffers.Binary;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Tests.Crypto;

public class GatewayKeyFileTests(KmsKeyFixture kms) : IClassFixture<KmsKeyFixture>
{
    private const int FastIterations = 10_000;
    private const string Passphrase = "correct horse battery staple";
    private const string GatewayHex = "000102030405060708090a0b0c0d0e0f";
    private const string CdldHex = "2b7e151628aed2a6abf7158809cf4f3c";
    private const int HeaderLength = 39;

    private static GatewayKeys KnownKeys() => GatewayKeys.FromHex(GatewayHex, CdldHex);

    private static byte[] EncryptKnownKeys()
    {
        using var keys = KnownKeys();
        return GatewayKeyFile.Encrypt(keys, Passphrase, FastIterations);
    }

    /// <summary>Whatever goes wrong, the operator never sees a key.</summary>
    private static void AssertShowsNoKey(Exception e)
    {
        foreach (string hex in new[] { GatewayHex, CdldHex })
            Assert.DoesNotContain(hex, e.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void RoundTripGivesBackTheKeys()
    {
        using var keys = GatewayKeys.CreateRandom();
        byte[] file = GatewayKeyFile.Encrypt(keys, Passphrase, FastIterations);
        using var back = GatewayKeyFile.Decrypt(file, Passphrase);
        Assert.Equal(keys.GatewayKey.ToArray(), back.GatewayKey.ToArray());
        Assert.Equal(keys.CdldKey.ToArray(), back.CdldKey.ToArray());
    }

    [Fact]
    public void HeaderIsFormatV1()
    {
        byte[] file = EncryptKnownKeys();
        Assert.Equal("PGWK"u8.ToArray(), file[..4]);
        Assert.Equal(1, file[4]);
        Assert.Equal(1, file[5]);
        Assert.Equal((uint)FastIterations, BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(6)));
        Assert.Equal(16, file[10]);
        // CSV of 88 bytes: "name,key\n" + "gateway,<32>\n" + "cdld,<32>\n", then the tag.
        Assert.Equal(HeaderLength + 88 + 16, file.Length);
        Assert.NotEqual(file, EncryptKnownKeys()); // fresh salt and nonce each time
    }

    [Fact]
    public void DefaultIterationsRoundTrip()
    {
        using var keys = KnownKeys();
        byte[] file = GatewayKeyFile.Encrypt(keys, Passphrase);
        Assert.Equal((uint)GatewayKeyFile.DefaultIterations, BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(6)));
        using var back = GatewayKeyFile.Decrypt(file, Passphrase);
        Assert.Equal(keys.CdldKey.ToArray(), back.CdldKey.ToArray());
    }

    [Fact]
    public void WrongPassphraseSaysSoExactly()
    {
        var e = Assert.Throws<WrongPassphraseException>(() => GatewayKeyFile.Decrypt(EncryptKnownKeys(), "not the passphrase"));
        Assert.Equal("The passphrase is wrong: it does not open the gateway key file.", e.Message);
    }

    [Fact]
    public void ChangedCiphertextOrTagOrSaltIsRefusedAsWrongPassphrase()
    {
        byte[] original = EncryptKnownKeys();
        foreach (int index in new[] { 11 /* salt */, 30 /* nonce */, HeaderLength /* ciphertext */, original.Length - 1 /* tag */, 9 /* iterations, still in range */ })
        {
            byte[] file = (byte[])original.Clone();
            file[index] ^= 0x01;
            var e = Assert.Throws<WrongPassphraseException>(() => GatewayKeyFile.Decrypt(file, Passphrase));
            AssertShowsNoKey(e);
        }
    }

    [Theory]
    [InlineData(0, "PGWK")]     // magic
    [InlineData(4, "version")]
    [InlineData(5, "key derivation")]
    [InlineData(10, "salt length")]
    public void ChangedHeaderFieldIsAFormatError(int index, string expected)
    {
        byte[] file = EncryptKnownKeys();
        file[index] ^= 0x40;
        var e = Assert.Throws<KeyFileException>(() => GatewayKeyFile.Decrypt(file, Passphrase));
        Assert.IsNotType<WrongPassphraseException>(e);
        Assert.Contains("not a gateway key file (format v1)", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData(9_999u)]
    [InlineData(10_000_001u)]
    [InlineData(uint.MaxValue)]
    public void IterationsOutsideTheRangeAreRefusedBeforeAnyWork(uint iterations)
    {
        byte[] file = EncryptKnownKeys();
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(6), iterations);
        var e = Assert.Throws<KeyFileException>(() => GatewayKeyFile.Decrypt(file, Passphrase));
        Assert.Contains("iteration count", e.Message);
    }

    [Fact]
    public void TruncatedFileIsAFormatErrorOrWrongPassphraseNeverACrash()
    {
        byte[] file = EncryptKnownKeys();
        for (int length = 0; length < file.Length; length++)
        {
            var e = Assert.ThrowsAny<KeyFileException>(() => GatewayKeyFile.Decrypt(file.AsSpan(0, length), Passphrase));
            if (length < HeaderLength + 16)
                Assert.Contains("too short", e.Message);
            AssertShowsNoKey(e);
        }
    }

    [Fact]
    public void EmptyPassphraseIsRefused()
    {
        using var keys = KnownKeys();
        Assert.Throws<ArgumentException>(() => GatewayKeyFile.Encrypt(keys, "", FastIterations));
        var e = Assert.Throws<ArgumentException>(() => GatewayKeyFile.Write(Path.GetTempPath(), keys, "", kms.PrivateKey));
        Assert.StartsWith("A passphrase is required", e.Message);
    }

    [Fact]
    public void SignatureVerifiesAndAnyChangeOrShortSignatureFails()
    {
        byte[] file = EncryptKnownKeys();
        byte[] signature = GatewayKeyFile.Sign(file, kms.PrivateKey);
        Assert.True(GatewayKeyFile.VerifySignature(file, signature, kms.PublicKey));

        byte[] changed = (byte[])file.Clone();
        changed[^1] ^= 1;
        Assert.False(GatewayKeyFile.VerifySignature(changed, signature, kms.PublicKey));
        Assert.False(GatewayKeyFile.VerifySignature(file, signature.AsSpan(0, 10), kms.PublicKey));
        Assert.False(GatewayKeyFile.VerifySignature(file, [], kms.PublicKey));
        using var otherKey = System.Security.Cryptography.RSA.Create(2048);
        Assert.False(GatewayKeyFile.VerifySignature(file, signature, otherKey));
    }

    [Fact]
    public void WriteProducesBothFilesAndDescribesThem()
    {
        using var dir = new TempDirectory();
        using var keys = KnownKeys();
        var info = GatewayKeyFile.Write(dir.Path, keys, Passphrase, kms.PrivateKey, iterations: FastIterations);

        Assert.Equal(dir.File(GatewayKeyFile.FileName), info.Path);
        Assert.Equal(dir.File(GatewayKeyFile.SignatureFileName), info.SignaturePath);
        Assert.Equal("7DF76B", info.CdldKeyCheckValue);
        Assert.Equal(GatewayKeys.CheckValue(keys.GatewayKey), info.GatewayKeyCheckValue);
        Assert.Equal(FastIterations, info.Iterations);
        Assert.Equal(kms.Files.Fingerprint, info.KmsFingerprint);
        Assert.DoesNotContain(GatewayHex, info.ToString());
        Assert.DoesNotContain(CdldHex, info.ToString());

        byte[] file = File.ReadAllBytes(info.Path);
        Assert.True(GatewayKeyFile.VerifySignature(file, File.ReadAllBytes(info.SignaturePath), kms.PublicKey));
        using var back = GatewayKeyFile.Decrypt(file, Passphrase);
        Assert.Equal(keys.GatewayKey.ToArray(), back.GatewayKey.ToArray());
        Assert.Equal(new[] { GatewayKeyFile.FileName, GatewayKeyFile.SignatureFileName },
            Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void WriteRefusesExistingFilesUnlessOverwriting()
    {
        using var dir = new TempDirectory();
        using var keys = KnownKeys();
        File.WriteAllText(dir.File(GatewayKeyFile.SignatureFileName), "old");
        var e = Assert.Throws<KeyFileException>(() => GatewayKeyFile.Write(dir.Path, keys, Passphrase, kms.PrivateKey, iterations: FastIterations));
        Assert.Contains(dir.File(GatewayKeyFile.SignatureFileName), e.Message);
        Assert.False(File.Exists(dir.File(GatewayKeyFile.FileName)));

        GatewayKeyFile.Write(dir.Path, keys, Passphrase, kms.PrivateKey, overwrite: true, iterations: FastIterations);
        Assert.NotEqual("old", File.ReadAllText(dir.File(GatewayKeyFile.SignatureFileName)));
        Assert.Equal(2, Directory.GetFiles(dir.Path).Length); // no temp files left
    }
}
