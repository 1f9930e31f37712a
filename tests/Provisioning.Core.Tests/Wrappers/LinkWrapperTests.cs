using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Threading.Channels;
using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;
using Provisioning.Core.Station;
using Provisioning.Core.Tests.Node;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Tests.Wrappers;

/// <summary>
/// The smallest active wrapper a factory could write: records <c>[kind][length u16 LE][data]</c>, kind 'S' the station's
/// hello, 'A' the host's answer, 'N' a node message, 'H' a host message. No recovery from noise: for clean lines only.
/// </summary>
[TransportWrapperName("test-link")]
public sealed class HelloTestWrapper : LinkWrapper
{
    public override string Name => "test-link";
    public override int Overhead => 3;

    public override async Task<LinkSession> OpenAsync(INodeTransport line, LinkRole role, LinkOptions options, CancellationToken cancellationToken)
    {
        var session = new Session(this, line, role, options);
        if (role == LinkRole.Station)
        {
            await session.SendAsync((byte)'S', ReadOnlyMemory<byte>.Empty, cancellationToken);
            try { await session.Hello.Task.WaitAsync(options.ResponseTimeout ?? TimeSpan.FromSeconds(1), cancellationToken); }
            catch (TimeoutException)
            {
                await session.DisposeAsync();
                throw new LinkException(ProvExitCode.NoDevice, $"No host answered the test-link hello on {line.Name}.");
            }
        }
        return session;
    }

    private sealed class Session : LinkSession
    {
        private readonly Channel<byte[]> _delivered = Channel.CreateUnbounded<byte[]>();
        private readonly CancellationTokenSource _stop = new();
        private readonly SemaphoreSlim _writing = new(1);
        private readonly Task _receiving;
        private byte[] _pending = [];
        private int _pendingAt;

        public Session(LinkWrapper wrapper, INodeTransport line, LinkRole role, LinkOptions options) : base(wrapper, line, role, options)
            => _receiving = Task.Run(ReceiveAsync);

        public TaskCompletionSource Hello { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override int MaxMessageSize => Options.MaxMessageSize ?? 1024;
        public override TimeSpan ExtraLatency => TimeSpan.Zero;
        public override LinkStatistics Statistics => default;

        public async Task SendAsync(byte kind, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            var record = new byte[3 + data.Length];
            record[0] = kind;
            BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(1), (ushort)data.Length);
            data.CopyTo(record.AsMemory(3));
            await _writing.WaitAsync(cancellationToken);
            try { await Line.WriteAsync(record, cancellationToken); }
            finally { _writing.Release(); }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            if (data.Length > MaxMessageSize) throw new ArgumentException("Too long for the host.", nameof(data));
            return new ValueTask(SendAsync((byte)'N', data, cancellationToken));
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            while (_pendingAt >= _pending.Length)
            {
                if (!await _delivered.Reader.WaitToReadAsync(cancellationToken)) return 0;
                if (_delivered.Reader.TryRead(out var next)) (_pending, _pendingAt) = (next, 0);
            }
            int n = Math.Min(buffer.Length, _pending.Length - _pendingAt);
            _pending.AsMemory(_pendingAt, n).CopyTo(buffer);
            _pendingAt += n;
            return n;
        }

        public override Task SendHostMessageAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) => SendAsync((byte)'H', message, cancellationToken);

        public override Task CloseAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await Line.DisposeAsync();
            try { await _receiving; } catch (Exception) { }
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[4096];
            var held = new List<byte>();
            try
            {
                while (true)
                {
                    int n = await Line.ReadAsync(buffer, _stop.Token);
                    if (n == 0) break;
                    held.AddRange(buffer.AsSpan(0, n));
                    while (held.Count >= 3 && held.Count >= 3 + (held[1] | held[2] << 8))
                    {
                        int length = held[1] | held[2] << 8;
                        byte[] data = held.GetRange(3, length).ToArray();
                        byte kind = held[0];
                        held.RemoveRange(0, 3 + length);
                        if (kind == 'S') await SendAsync((byte)'A', ReadOnlyMemory<byte>.Empty, _stop.Token);
                        else if (kind == 'A') Hello.TrySetResult();
                        else if (kind == 'N') _delivered.Writer.TryWrite(data);
                        else if (kind == 'H') OnHostMessage(data);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException) { }
            finally { _delivered.Writer.TryComplete(); }
        }
    }
}

public sealed class LinkWrapperTests
{
    [Fact]
    public async Task The_node_protocol_runs_inside_a_session_and_host_messages_go_both_ways()
    {
        await using var link = new SimulatorLink();
        var simulator = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "test-link", MaxMessageSize = 300 });
        var line = await NodeTransport.OpenAsync(simulator.Endpoint, NodeTransport.DefaultBaudRate, CancellationToken.None);
        var wrapper = Assert.IsAssignableFrom<LinkWrapper>(TransportWrappers.Create("test-link"));
        var session = await wrapper.OpenAsync(line, LinkRole.Station, new LinkOptions { MaxMessageSize = 300 }, CancellationToken.None);
        var echoed = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        session.HostMessageReceived += (_, e) => echoed.TrySetResult(e.Message.ToArray());
        await using var client = new NodeClient(session, session.NodeWrapper, SimulatorLink.FastOptions);

        Assert.Equal(300, client.MaxMessageSize);
        byte[] image = SimulatorLink.Image(5000);
        await client.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0.0", null, CancellationToken.None);
        await session.SendHostMessageAsync("platform"u8.ToArray(), CancellationToken.None);

        Assert.Equal(Convert.ToHexString(SHA256.HashData(image)), simulator.State.FirmwareSha256, ignoreCase: true);
        Assert.Equal("platform"u8.ToArray(), await echoed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, simulator.HostMessagesReceived);
    }

    [Fact]
    public void A_link_wrapper_is_not_used_passively()
    {
        var wrapper = new HelloTestWrapper();

        var e = Assert.Throws<NotSupportedException>(() => wrapper.Egress([1, 2], new System.Buffers.ArrayBufferWriter<byte>()));
        Assert.Contains("OpenAsync", e.Message);
    }

    [Fact]
    public void A_link_failure_is_found_inside_the_node_link_error()
    {
        var inner = new LinkException(ProvExitCode.NodeMessageFailed, "never acknowledged") { Advice = "check the cable" };
        var outer = new NodeLinkException("The link failed: never acknowledged", neverAnswered: false, inner);

        Assert.Same(inner, LinkException.Find(outer));
        Assert.Null(LinkException.Find(new IOException("other")));
    }
}
