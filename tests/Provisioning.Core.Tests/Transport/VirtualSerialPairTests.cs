using Provisioning.Core.Transport;

namespace Provisioning.Core.Tests.Transport;

public sealed class VirtualSerialPairTests
{
    [ToolFact("socat")]
    public async Task Bytes_written_to_one_end_arrive_at_the_other_and_dispose_removes_the_pair()
    {
        string dir = Directory.CreateTempSubdirectory("prov-tty-").FullName;
        try
        {
            var pair = await VirtualSerialPair.CreateAsync(dir, TimeSpan.FromSeconds(10), CancellationToken.None);
            using (pair)
            {
                Assert.True(File.Exists(pair.PortA) && File.Exists(pair.PortB));
                await using var a = await NodeTransport.OpenAsync(pair.PortA, 115200, CancellationToken.None);
                await using var b = await NodeTransport.OpenAsync(pair.PortB, 115200, CancellationToken.None);
                Assert.Equal(115200, a.BaudRate);
                byte[] sent = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();

                await a.WriteAsync(sent, CancellationToken.None);
                var received = new List<byte>();
                var buffer = new byte[4096];
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                while (received.Count < sent.Length)
                    received.AddRange(buffer.AsSpan(0, await b.ReadAsync(buffer, deadline.Token)).ToArray());

                Assert.Equal(sent, received);
                Assert.True(pair.IsAlive);
            }
            Assert.False(pair.IsAlive);
            Assert.False(File.Exists(pair.PortA));
            Assert.DoesNotContain(System.Diagnostics.Process.GetProcessesByName("socat"), p => p.Id == pair.ProcessId);
        }
        finally { Directory.Delete(dir, true); }
    }
}
