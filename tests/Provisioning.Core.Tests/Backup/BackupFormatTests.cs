using System.Text;
using Provisioning.Core.Backup;

namespace Provisioning.Core.Tests.Backup;

public sealed class BackupFormatTests
{
    private const int Iterations = 10_000; // the smallest accepted: the tests check the format, not the key stretching
    private static readonly ReadOnlyMemory<char> Pass = "correct horse battery staple".AsMemory();

    private static async Task<byte[]> WriteAsync(int rows = 3000, int fileSize = 200_000)
    {
        using var output = new MemoryStream();
        await using (var writer = await BackupWriter.CreateAsync(output, Pass, new BackupManifest(1, DateTimeOffset.UnixEpoch, "test", "sqlite", 4), Iterations))
        {
            await writer.BeginSectionAsync(new BackupSection("table", "device_records", [new("id", "int"), new("station", "text"), new("key", "blob")]));
            for (int i = 0; i < rows; i++)
                await writer.WriteRowAsync(j => { j.WriteNumberValue(i); j.WriteStringValue($"line {i % 4}"); j.WriteBase64StringValue(new byte[] { (byte)i, 7, 7 }); });
            await writer.EndSectionAsync();
            await writer.BeginSectionAsync(new BackupSection("files", "data"));
            var content = new byte[fileSize];
            new Random(1).NextBytes(content);
            await writer.WriteFileAsync("master.key", content.Length, new MemoryStream(content));
            await writer.EndSectionAsync();
            await writer.CompleteAsync();
        }
        return output.ToArray();
    }

    [Fact]
    public async Task A_backup_reads_back_whole_with_its_passphrase()
    {
        var bytes = await WriteAsync();
        var summary = await BackupReader.VerifyAsync(new MemoryStream(bytes), Pass);
        Assert.Equal("sqlite", summary.Manifest.Engine);
        Assert.Equal(3000, summary.Sections[0].Count);
        Assert.Equal(1, summary.Sections[1].Count);
        Assert.Equal(200_000, summary.Sections[1].Bytes);
        Assert.Equal(bytes.Length, summary.FileSize);
    }

    [Fact]
    public async Task Nothing_of_the_content_is_in_the_clear()
    {
        var text = Encoding.Latin1.GetString(await WriteAsync());
        Assert.DoesNotContain("line 1", text);
        Assert.DoesNotContain("device_records", text);
        Assert.DoesNotContain("master.key", text);
    }

    [Fact]
    public async Task A_wrong_passphrase_is_told_apart_from_damage()
    {
        var bytes = await WriteAsync(rows: 10, fileSize: 10);
        await Assert.ThrowsAsync<BackupPassphraseException>(() => BackupReader.VerifyAsync(new MemoryStream(bytes), "wrong".AsMemory()));
    }

    [Fact]
    public async Task Any_changed_byte_after_the_header_is_found()
    {
        var bytes = await WriteAsync();
        // A byte in each stretch of the file: chunk words, ciphertext, tags, the file MAC.
        for (int at = BackupEnvelope.HeaderLength; at < bytes.Length; at += 4099)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[at] ^= 0x01;
            await Assert.ThrowsAsync<BackupDamagedException>(() => BackupReader.VerifyAsync(new MemoryStream(damaged), Pass));
        }
        var last = (byte[])bytes.Clone();
        last[^1] ^= 0x80;
        await Assert.ThrowsAsync<BackupDamagedException>(() => BackupReader.VerifyAsync(new MemoryStream(last), Pass));
    }

    [Fact]
    public async Task A_truncated_or_extended_file_is_found()
    {
        var bytes = await WriteAsync();
        foreach (int length in new[] { 0, 10, BackupEnvelope.HeaderLength, BackupEnvelope.HeaderLength + 4 + 65536 + 16, bytes.Length - 33, bytes.Length - 1 })
        {
            var cut = bytes[..length];
            var e = await Assert.ThrowsAnyAsync<Exception>(() => BackupReader.VerifyAsync(new MemoryStream(cut), Pass));
            Assert.IsType<BackupDamagedException>(e);
        }
        await Assert.ThrowsAsync<BackupDamagedException>(() => BackupReader.VerifyAsync(new MemoryStream([.. bytes, 0]), Pass));
    }

    [Fact]
    public async Task A_changed_header_is_refused_before_any_content()
    {
        var bytes = await WriteAsync(rows: 10, fileSize: 10);
        var other = (byte[])bytes.Clone();
        other[20] ^= 0x01; // salt: the key check fails
        await Assert.ThrowsAsync<BackupPassphraseException>(() => BackupReader.VerifyAsync(new MemoryStream(other), Pass));
        var version = (byte[])bytes.Clone();
        version[9] = 9;
        var e = await Assert.ThrowsAsync<BackupDamagedException>(() => BackupReader.VerifyAsync(new MemoryStream(version), Pass));
        Assert.Contains("version 9", e.Message);
    }
}
