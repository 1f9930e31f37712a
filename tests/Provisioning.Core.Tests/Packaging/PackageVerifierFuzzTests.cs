using System.IO.Compression;
using Provisioning.Core.Packaging;

namespace Provisioning.Core.Tests.Packaging;

/// <summary>
/// Seeded mutations of a valid package: whatever the damage, the reader either returns a result or throws
/// <see cref="PackageFormatException"/>, and it never leaves a file behind or writes outside its folder.
/// Any other exception is a message an operator could not act on, and fails the test with the seed to replay it.
/// </summary>
public sealed class PackageVerifierFuzzTests : IDisposable
{
    private const int Iterations = 600; // 6000 seeds also pass; 600 keep the suite fast
    private readonly PackageFixture _fixture = new(firmwareSize: 6000);

    public void Dispose() => _fixture.Dispose();

    private static byte[] Gzip(byte[] tar)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(tar);
        return output.ToArray();
    }

    private static byte[] Gunzip(byte[] package)
    {
        using var input = new GZipStream(new MemoryStream(package), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>One mutation, chosen and placed by <paramref name="random"/>.</summary>
    private static byte[] Mutate(byte[] package, byte[] tar, Random random)
    {
        switch (random.Next(5))
        {
            case 0: // flip bits in the compressed stream
            {
                var bytes = (byte[])package.Clone();
                for (int i = random.Next(1, 6); i > 0; i--) bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
                return bytes;
            }
            case 1: // flip bits in the tar itself, headers included, then compress it again
            {
                var bytes = (byte[])tar.Clone();
                for (int i = random.Next(1, 6); i > 0; i--) bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
                return Gzip(bytes);
            }
            case 2: // a header field overwritten with digits, text or nothing (sizes, modes, checksums, types)
            {
                var bytes = (byte[])tar.Clone();
                int block = random.Next(bytes.Length / 512) * 512;
                int at = block + random.Next(100, 500);
                byte fill = (byte)"07 xZ\0"[random.Next(6)];
                for (int i = random.Next(1, 12); i > 0 && at < bytes.Length; i--, at++) bytes[at] = fill;
                return Gzip(bytes);
            }
            case 3: // cut short
                return package.AsSpan(0, random.Next(package.Length)).ToArray();
            default: // bytes inserted into the tar
            {
                int at = random.Next(tar.Length);
                var junk = new byte[random.Next(1, 700)];
                random.NextBytes(junk);
                return Gzip([.. tar.AsSpan(0, at), .. junk, .. tar.AsSpan(at)]);
            }
        }
    }

    [Fact]
    public void Damaged_packages_give_a_format_error_or_a_result_and_leave_nothing_behind()
    {
        var package = PackageFixture.TarGz(_fixture.Entries());
        var tar = Gunzip(package);
        var sandbox = _fixture.Folder("fuzz");
        var outcomes = new Dictionary<string, int>();
        for (int seed = 0; seed < Iterations; seed++)
        {
            var damaged = Mutate(package, tar, new Random(seed));
            var target = Directory.CreateDirectory(Path.Combine(sandbox, seed.ToString())).FullName;
            PackageVerification? result = null;
            PackageFormatException? refused = null;
            try
            {
                result = PackageVerifier.Verify(new MemoryStream(damaged), "fuzz.tar.gz",
                    new PackageVerifyOptions { ExtractTo = target, Passphrase = "wrong passphrase".ToCharArray() });
            }
            catch (PackageFormatException ex) { refused = ex; }
            catch (Exception ex) { Assert.Fail($"seed {seed}: {ex.GetType().Name} escaped the reader: {ex.Message}"); }

            string outcome;
            if (refused is not null)
            {
                outcome = "refused";
                Assert.False(string.IsNullOrWhiteSpace(refused.Message), $"seed {seed}: empty message");
                Assert.Empty(Directory.EnumerateFileSystemEntries(target));
            }
            else
            {
                outcome = result!.IsValid ? "valid" : "problems";
                Assert.True(result.Problems.All(p => p.Message.Length > 0), $"seed {seed}: a problem without a message");
            }
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            Directory.Delete(target, recursive: true);
            Assert.Empty(Directory.EnumerateFileSystemEntries(sandbox));
        }
        Assert.DoesNotContain(_fixture.FilesOutsideInput(), f => !f.StartsWith(sandbox, StringComparison.Ordinal));
        // The mutations must reach past the gzip layer: most are refused, some yield hash or key problems.
        Assert.True(outcomes.GetValueOrDefault("refused") > Iterations / 4, string.Join(", ", outcomes));
        Assert.True(outcomes.GetValueOrDefault("problems") > 0, string.Join(", ", outcomes));
    }
}
