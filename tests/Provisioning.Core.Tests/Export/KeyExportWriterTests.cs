using Provisioning.Core.Api;
using Provisioning.Core.Export;

namespace Provisioning.Core.Tests.Export;

/// <summary>
/// Tests that read the process-wide heap size (<see cref="GC.GetTotalMemory"/>) run alone, after the parallel ones:
/// another test allocating at the same moment would show as growth the code under test never made.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasurementCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Heap measurement";
}

[Collection(HeapMeasurementCollection.Name)]
public class KeyExportWriterTests
{
    /// <summary>Counts what reaches the output, keeping none of it.</summary>
    private sealed class CountingStream : Stream
    {
        public long Total { get; private set; }
        public int Writes { get; private set; }
        public int LargestWrite { get; private set; }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Total += buffer.Length;
            Writes++;
            LargestWrite = Math.Max(LargestWrite, buffer.Length);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Total;
        public override long Position { get => Total; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    public async Task Memory_stays_flat_while_200000_devices_are_written()
    {
        var key = new byte[384];
        Random.Shared.NextBytes(key);
        var apps = new DeviceApp[] { new("emcm", "0A0B0C0D", "00112233", null) };
        var output = new CountingStream();
        await using var writer = new KeyExportWriter(output, ExportSamples.Header());

        long baseline = 0;
        for (uint i = 0; i < 200_000; i++)
        {
            if (i == 20_000)
                baseline = GC.GetTotalMemory(forceFullCollection: true);
            await writer.WriteAsync(new ExportedDevice(i, ExportSamples.ConfigId, 1000, ExportSamples.Start, DeviceStatus.Confirmed, key,
                "RSA-OAEP-SHA256", ExportSamples.Fingerprint, apps));
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        await writer.CompleteAsync();

        Assert.True(output.Total > 150_000_000, $"only {output.Total} bytes written");
        // 180,000 devices of ~800 bytes went out in between: keeping any of them would show as 100+ MB.
        Assert.True(after - baseline < 4_000_000, $"memory grew by {(after - baseline) / 1e6:F1} MB while writing 180,000 devices");
        Assert.Equal(200_000, writer.Count);
    }

    [Fact]
    public async Task The_output_gets_the_file_in_chunks_while_devices_are_still_being_written()
    {
        var output = new CountingStream();
        await using var writer = new KeyExportWriter(output, ExportSamples.Header());
        foreach (var device in ExportSamples.Devices(1000))
            await writer.WriteAsync(device);

        Assert.True(output.Total > 500_000, $"only {output.Total} bytes reached the output before the end");
        Assert.InRange(output.LargestWrite, KeyExportWriter.ChunkSize, KeyExportWriter.ChunkSize + 16 * 1024);
        await writer.CompleteAsync();
        Assert.True(output.Writes < output.Total / 32_000, $"{output.Writes} writes for {output.Total} bytes");
    }

    [Fact]
    public async Task Nothing_can_be_written_after_the_summary()
    {
        await using var writer = new KeyExportWriter(new MemoryStream(), ExportSamples.Header());
        await writer.CompleteAsync();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WriteAsync(ExportSamples.Device(1)).AsTask());
        Assert.Contains("already complete", e.Message);
    }

    public static TheoryData<ExportedDevice, string> BadDevices() => new()
    {
        { ExportSamples.Device(0x10) with { ConfigId = 70 }, "Device 0x00000010 cannot be exported: it belongs to config 70, but this export is of config 69" },
        { ExportSamples.Device(0x11) with { Status = "done" }, "its status 'done' is neither confirmed nor pending" },
        { ExportSamples.Device(0x12) with { EncryptedRootKey = [] }, "its encrypted root key is 0 bytes long; the format carries 1 to 2048" },
        { ExportSamples.Device(0x13) with { EncryptedRootKey = new byte[2049] }, "its encrypted root key is 2049 bytes long" },
        { ExportSamples.Device(0x14) with { KeyAlgorithm = "RSA OAEP" }, "its key algorithm 'RSA OAEP' is not a name" },
        { ExportSamples.Device(0x15) with { KmsKeyFingerprint = "SHA256:ABC" }, "its KMS key fingerprint 'SHA256:ABC' is not 'SHA256:' and 64 lower-case hexadecimal digits" },
        { ExportSamples.Device(0x16, [new("e mcm", null, null, null)]), "it has an app named 'e mcm'" },
        { ExportSamples.Device(0x17, [new("emcm", "0xAB", null, null)]), "the id of app 'emcm' is not a hexadecimal string" },
        { ExportSamples.Device(0x18, [new("emcm", null, null, new string('A', 65537))]), "the extra of app 'emcm' is 65537 characters long" },
    };

    [Theory]
    [MemberData(nameof(BadDevices))]
    public async Task Refuses_a_device_the_schema_would_reject_and_names_it(ExportedDevice device, string problem)
    {
        var output = new MemoryStream();
        await using var writer = new KeyExportWriter(output, ExportSamples.Header());
        await writer.WriteAsync(ExportSamples.Device(1));

        var e = await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync(device).AsTask());
        Assert.Contains(problem, e.Message);
        Assert.Contains($"Device 0x{device.NodeId:X8} cannot be exported", e.Message);

        // The refused device left no trace: the writer goes on and the file is valid.
        await writer.WriteAsync(ExportSamples.Device(2));
        await writer.CompleteAsync();
        Assert.Equal([1u, 2u], ExportSamples.ReadAll(output.ToArray()).Select(d => d.NodeId));
    }

    [Fact]
    public void Refuses_a_header_the_schema_would_reject()
    {
        Assert.Contains("export ID -1 is negative",
            Assert.Throws<ArgumentException>(() => new KeyExportWriter(new MemoryStream(), ExportSamples.Header() with { ExportId = -1 })).Message);
        Assert.Contains("server version '0.1 beta'",
            Assert.Throws<ArgumentException>(() => new KeyExportWriter(new MemoryStream(), ExportSamples.Header() with { ServerVersion = "0.1 beta" })).Message);
        Assert.Contains("Batch filter text contains control characters",
            Assert.Throws<ArgumentException>(() => new KeyExportWriter(new MemoryStream(), ExportSamples.Header() with { Batch = "1000\u0001" })).Message);
    }

    [Fact]
    public async Task A_writer_disposed_without_completing_leaves_a_file_readers_reject()
    {
        var output = new MemoryStream();
        await using (var writer = new KeyExportWriter(output, ExportSamples.Header()))
        {
            foreach (var device in ExportSamples.Devices(300))
                await writer.WriteAsync(device);
        }
        var e = Assert.Throws<FormatException>(() => ExportSamples.ReadAll(output.ToArray()));
        Assert.Contains("device_keys.xml was cut short", e.Message);
    }
}
