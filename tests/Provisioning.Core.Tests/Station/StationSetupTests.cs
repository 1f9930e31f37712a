using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Provisioning.Core.Api;
using Provisioning.Core.Client;
using Provisioning.Core.Crypto;
using Provisioning.Core.Station;

namespace Provisioning.Core.Tests.Station;

public class ConfigSelectorTests
{
    [Theory]
    [InlineData("69", null, 69ul)]
    [InlineData("0x45", "", 69ul)]
    [InlineData(" 18446744073709551615 ", "  ", ulong.MaxValue)]
    public void A_config_id_alone_selects_by_id(string id, string? alias, ulong expected)
    {
        Assert.True(ConfigSelector.TryCreate(id, alias, out var selector, out var error), error);
        Assert.Equal(expected, selector!.ConfigId);
        Assert.Null(selector.Alias);
    }

    [Fact]
    public void An_alias_alone_selects_by_alias_and_equal_selectors_share_a_session_key()
    {
        Assert.True(ConfigSelector.TryCreate(null, " kite_170 ", out var selector, out _));
        Assert.Equal("kite_170", selector!.Alias);
        Assert.Equal(ConfigSelector.ByAlias("kite_170"), selector);
        Assert.Equal("config alias 'kite_170'", selector.ToString());
    }

    [Theory]
    [InlineData("69", "kite_170", "not both")]
    [InlineData(null, null, "No configuration given")]
    [InlineData("", " ", "No configuration given")]
    [InlineData("0xZZ", null, "'0xZZ' is not a number")]
    [InlineData("-1", null, "negative")]
    public void Bad_combinations_say_what_to_give(string? id, string? alias, string expected)
    {
        Assert.False(ConfigSelector.TryCreate(id, alias, out var selector, out var error));
        Assert.Null(selector);
        Assert.Contains(expected, error);
    }
}

public class NodeFileCheckTests
{
    private static FileLink Link(byte[] data) =>
        new("node.bin", "http://x/files/a", data.Length, Convert.ToHexStringLower(MD5.HashData(data)), Convert.ToHexStringLower(SHA256.HashData(data)));

    [Fact]
    public void A_file_matching_size_sha256_and_md5_passes()
    {
        byte[] data = RandomNumberGenerator.GetBytes(1000);
        NodeFileDownload.Check(Link(data), data);
    }

    [Fact]
    public void One_changed_byte_is_code_102_naming_the_file_and_both_hashes()
    {
        byte[] data = RandomNumberGenerator.GetBytes(1000);
        var link = Link(data);
        data[500] ^= 1;
        var e = Assert.Throws<StationFailureException>(() => NodeFileDownload.Check(link, data));
        Assert.Equal(ProvExitCode.ServerResponseInvalid, e.Code);
        Assert.Contains("node.bin", e.Message);
        Assert.Contains(link.Sha256, e.Message);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(data)), e.Message);
    }

    [Fact]
    public void A_short_file_is_code_102_naming_both_sizes()
    {
        byte[] data = RandomNumberGenerator.GetBytes(1000);
        var e = Assert.Throws<StationFailureException>(() => NodeFileDownload.Check(Link(data), data[..999]));
        Assert.Equal(ProvExitCode.ServerResponseInvalid, e.Code);
        Assert.Contains("999 bytes long, but the config lists 1,000", e.Message);
    }

    [Fact]
    public void An_md5_mismatch_alone_is_caught()
    {
        byte[] data = RandomNumberGenerator.GetBytes(64);
        var link = Link(data) with { Md5 = new string('0', 32) };
        var e = Assert.Throws<StationFailureException>(() => NodeFileDownload.Check(link, data));
        Assert.Contains("MD5", e.Message);
    }
}

public class ServerFailureTests
{
    private static readonly Uri Server = new("http://127.0.0.1:8085/");

    [Theory]
    [InlineData(null, "ServerUnreachable", ProvExitCode.ServerUnreachable)]
    [InlineData(null, "ServerTimeout", ProvExitCode.ServerUnreachable)]
    [InlineData(null, "ConnectionLost", ProvExitCode.ServerUnreachable)]
    [InlineData(null, "UnexpectedResponse", ProvExitCode.ServerResponseInvalid)]
    [InlineData(404, "ConfigNotFound", ProvExitCode.ServerError)]
    [InlineData(403, "InsecureKeyTransport", ProvExitCode.ServerError)]
    [InlineData(500, "Http500", ProvExitCode.ServerError)]
    public void Calls_map_to_table_4(int? status, string errorId, ProvExitCode expected)
    {
        var e = ServerFailures.From(new ProvServerException(Server, status, errorId, "what the server said."), "fetching config 69");
        Assert.Equal(expected, e.Code);
        Assert.StartsWith("Fetching config 69 failed: what the server said.", e.Message);
    }

    [Theory]
    [InlineData(404, "FileNotFound", ProvExitCode.FileUnavailable)]
    [InlineData(null, "ConnectionLost", ProvExitCode.FileUnavailable)]
    [InlineData(null, "ServerUnreachable", ProvExitCode.ServerUnreachable)]
    [InlineData(500, "Http500", ProvExitCode.ServerError)]
    public void Downloads_map_a_missing_file_or_a_broken_stream_to_108(int? status, string errorId, ProvExitCode expected)
    {
        var e = ServerFailures.FromDownload(new ProvServerException(Server, status, errorId, "gone."), "node.bin", "ab12");
        Assert.Equal(expected, e.Code);
        Assert.Contains("node.bin", e.Message);
    }

    [Fact]
    public async Task A_server_that_is_not_there_fails_every_device_of_the_run_with_100_and_is_asked_again_by_the_next()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        using var client = new ProvServerClient(new Uri($"http://127.0.0.1:{port}/"), "token");
        using var sessions = new StationSessions(client);
        var first = await Assert.ThrowsAsync<StationFailureException>(() => sessions.GetAsync(ConfigSelector.ById(69), CancellationToken.None));
        Assert.Equal(ProvExitCode.ServerUnreachable, first.Code);
        Assert.Contains($"127.0.0.1:{port}", first.Message);

        // A failed fetch is not kept: once a server listens there, the next device is served (here: it answers 404 → 101).
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var answer = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            context.Response.StatusCode = 404;
            context.Response.Close();
        });
        var second = await Assert.ThrowsAsync<StationFailureException>(() => sessions.GetAsync(ConfigSelector.ById(69), CancellationToken.None));
        await answer;
        Assert.Equal(ProvExitCode.ServerError, second.Code);
    }
}

public class PinnedKeyTests
{
    [Fact]
    public void A_random_key_is_zeroed_on_dispose_and_never_shown()
    {
        var key = PinnedKey.Random(16);
        Assert.Equal(16, key.Span.Length);
        Assert.False(RandomLooksZero(key.Span));
        ReadOnlyMemory<byte> view = key.Memory;
        Assert.Equal("PinnedKey(16 bytes)", key.ToString());
        key.Dispose();
        Assert.True(RandomLooksZero(view.Span));
    }

    [Fact]
    public void A_copy_holds_the_same_bytes_and_the_original_is_left_alone()
    {
        byte[] original = [1, 2, 3, 4];
        using var copy = PinnedKey.CopyOf(original);
        Assert.Equal(original, copy.Span.ToArray());
        copy.Dispose();
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, original);
    }

    // 16 random bytes are all zero with probability 2^-128.
    private static bool RandomLooksZero(ReadOnlySpan<byte> key) => key.IndexOfAnyExcept((byte)0) < 0;
}
