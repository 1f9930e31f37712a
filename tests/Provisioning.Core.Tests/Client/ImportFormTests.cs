using System.Text;
using Provisioning.Core.Client;

namespace Provisioning.Core.Tests.Client;

public sealed class ImportFormTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("prov-form-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Package(int length)
    {
        string path = Path.Combine(_folder, "meter_69.tar.gz");
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public async Task Parts_come_in_the_contracts_order_with_the_file_streamed_and_its_progress_reported()
    {
        string path = Package(300_000);
        var reports = new List<long>();
        await using var file = File.OpenRead(path);
        using var form = ProvServerClient.ImportForm(file, "meter_69.tar.gz", "pass phrase é".AsSpan(), "Import Demo.", new SyncProgress(reports));

        // The length is known up front, so the upload is sent with Content-Length instead of being buffered.
        Assert.NotNull(form.Headers.ContentLength);
        var body = new MemoryStream();
        await form.CopyToAsync(body);
        Assert.Equal(form.Headers.ContentLength, body.Length);

        string text = Encoding.Latin1.GetString(body.ToArray());
        int passphrase = text.IndexOf("name=passphrase", StringComparison.Ordinal);
        int comment = text.IndexOf("name=comment", StringComparison.Ordinal);
        int package = text.IndexOf("name=package", StringComparison.Ordinal);
        Assert.True(passphrase >= 0 && passphrase < comment && comment < package, text[..Math.Min(600, text.Length)]);
        Assert.Contains("filename=meter_69.tar.gz", text);
        Assert.Contains("pass phrase é", Encoding.UTF8.GetString(body.ToArray()));

        Assert.Equal(300_000, reports[^1]);
        Assert.True(reports.Count > 1, "progress is reported while the file is sent, not once at the end");
    }

    [Fact]
    public async Task Without_a_comment_there_is_no_comment_part()
    {
        await using var file = File.OpenRead(Package(10));
        using var form = ProvServerClient.ImportForm(file, "p.tar.gz", "x".AsSpan(), null, null);
        string text = await form.ReadAsStringAsync();
        Assert.DoesNotContain("name=comment", text);
    }

    private sealed class SyncProgress(List<long> reports) : IProgress<long>
    {
        public void Report(long value) => reports.Add(value);
    }
}
