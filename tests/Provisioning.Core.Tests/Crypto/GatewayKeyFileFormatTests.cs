using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Tests.Crypto;

/// <summary>
/// The v1 format as docs/key-files.md describes it, written out here independently of the product code:
/// what a KMS operator's own tool would do.
/// </summary>
public class GatewayKeyFileFormatTests
{
    private const int Iterations = 10_000;
    private const string Passphrase = "pässphrase with ünïcode";

    private static byte[] SealAsDocumented(string csv, string passphrase)
    {
        byte[] header = new byte[39];
        "PGWK"u8.CopyTo(header);
        header[4] = 1;
        header[5] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(6), Iterations);
        header[10] = 16;
        RandomNumberGenerator.Fill(header.AsSpan(11, 16 + 12));
        byte[] key = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), header.AsSpan(11, 16), Iterations, HashAlgorithmName.SHA256, 32);
        byte[] plaintext = Encoding.UTF8.GetBytes(csv), ciphertext = new byte[plaintext.Length], tag = new byte[16];
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(header.AsSpan(27, 12), plaintext, ciphertext, tag, header);
        return [.. header, .. ciphertext, .. tag];
    }

    private static string OpenAsDocumented(byte[] file, string passphrase)
    {
        ReadOnlySpan<byte> header = file.AsSpan(0, 39);
        int iterations = (int)BinaryPrimitives.ReadUInt32BigEndian(header[6..]);
        byte[] key = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), header.Slice(11, 16), iterations, HashAlgorithmName.SHA256, 32);
        byte[] plaintext = new byte[file.Length - 39 - 16];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(header.Slice(27, 12), file.AsSpan(39, plaintext.Length), file.AsSpan(file.Length - 16), plaintext, header);
        return Encoding.UTF8.GetString(plaintext);
    }

    [Fact]
    public void OurFileOpensByTheDocumentedRecipe()
    {
        using var keys = GatewayKeys.FromHex("000102030405060708090a0b0c0d0e0f", "2b7e151628aed2a6abf7158809cf4f3c");
        byte[] file = GatewayKeyFile.Encrypt(keys, Passphrase, Iterations);
        Assert.Equal("name,key\ngateway,000102030405060708090a0b0c0d0e0f\ncdld,2b7e151628aed2a6abf7158809cf4f3c\n", OpenAsDocumented(file, Passphrase));
    }

    [Fact]
    public void AFileSealedByTheDocumentedRecipeOpens()
    {
        byte[] file = SealAsDocumented("name,key\ngateway,ffeeddccbbaa99887766554433221100\ncdld,00000000000000000000000000000001\n", Passphrase);
        using var keys = GatewayKeyFile.Decrypt(file, Passphrase);
        Assert.Equal(Convert.FromHexString("ffeeddccbbaa99887766554433221100"), keys.GatewayKey.ToArray());
        Assert.Equal(1, keys.CdldKey[15]);
    }

    [Theory]
    [InlineData("name,key\r\ngateway,ffeeddccbbaa99887766554433221100\r\ncdld,00000000000000000000000000000001\r\n")]
    [InlineData("name,key\ngateway,FFEEDDCCBBAA99887766554433221100\ncdld,00000000000000000000000000000001\n")]
    [InlineData("name,key\ncdld,00000000000000000000000000000001\ngateway,ffeeddccbbaa99887766554433221100\n")]
    [InlineData("name,key\ngateway,ffeeddccbbaa99887766554433221100\ncdld,00000000000000000000000000000001")]
    [InlineData("name,key\ngateway,ffeeddccbbaa9988776655443322110\ncdld,000000000000000000000000000000012\n")]
    [InlineData("")]
    public void ContentOtherThanTheExactCsvIsRefusedWithoutEchoingIt(string csv)
    {
        var e = Assert.Throws<KeyFileException>(() => GatewayKeyFile.Decrypt(SealAsDocumented(csv, Passphrase), Passphrase));
        Assert.IsNotType<WrongPassphraseException>(e);
        Assert.Contains("not the expected key CSV", e.Message);
        Assert.DoesNotContain("ffeeddcc", e.ToString(), StringComparison.OrdinalIgnoreCase);
    }
}
