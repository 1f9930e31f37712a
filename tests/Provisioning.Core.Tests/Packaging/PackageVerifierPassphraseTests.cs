using System.Security.Cryptography;
using Provisioning.Core.Crypto;
using Provisioning.Core.Packaging;

namespace Provisioning.Core.Tests.Packaging;

/// <summary>
/// The passphrase check needs a real gateway key file, so these use GatewayKeyFile.Encrypt/Sign/Decrypt:
/// they wait on the crypto bodies (they fail with NotImplementedException until those land).
/// </summary>
public sealed class PackageVerifierPassphraseTests : IDisposable
{
    private readonly PackageFixture _fixture = new();
    private readonly byte[] _package;

    public PackageVerifierPassphraseTests()
    {
        using var kms = RSA.Create(2048);
        using var keys = GatewayKeys.CreateRandom();
        var encrypted = GatewayKeyFile.Encrypt(keys, "correct horse battery staple");
        File.WriteAllText(_fixture.Definition.KmsPublicKeyPath, kms.ExportSubjectPublicKeyInfoPem());
        File.WriteAllBytes(_fixture.Definition.GatewayKeyFile, encrypted);
        File.WriteAllBytes(_fixture.Definition.GatewayKeySignatureFile, GatewayKeyFile.Sign(encrypted, kms));
        _package = PackageFixture.TarGz(_fixture.Entries());
    }

    public void Dispose() => _fixture.Dispose();

    private PackageVerification Verify(string passphrase) =>
        PackageVerifier.Verify(new MemoryStream(_package), "p.tar.gz", new PackageVerifyOptions { Passphrase = passphrase.ToCharArray() });

    [Fact]
    public void The_right_passphrase_opens_the_gateway_keys()
    {
        var result = Verify("correct horse battery staple");
        Assert.True(result.GatewayKeysDecrypt);
        Assert.True(result.SignatureValid);
        Assert.True(result.IsValid);
    }

    [Fact]
    public void A_wrong_passphrase_is_a_problem_saying_so()
    {
        var result = Verify("wrong");
        Assert.False(result.GatewayKeysDecrypt);
        var problem = Assert.Single(result.Problems);
        Assert.Equal((PackageProblemKind.WrongPassphrase, "keys/gw_keys.csv.aes"), (problem.Kind, problem.EntryName));
        Assert.Contains("passphrase", problem.Message, StringComparison.OrdinalIgnoreCase);
    }
}
