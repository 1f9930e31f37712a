using System.Text;
using Provisioning.Core.Api;
using Provisioning.Core.Export;

namespace Provisioning.Core.Tests.Export;

public class KeyExportRoundTripTests
{
    [Fact]
    public async Task Every_device_comes_back_as_written()
    {
        var written = ExportSamples.Devices(50).ToList();
        var file = await ExportSamples.WriteAsync(written);

        using var reader = new KeyExportReader(new MemoryStream(file), "device_keys.xml");
        var read = reader.ReadAll().ToList();

        Assert.Equal(written.Count, read.Count);
        for (int i = 0; i < written.Count; i++)
        {
            var (w, r) = (written[i], read[i]);
            Assert.Equal(w.EncryptedRootKey, r.EncryptedRootKey);
            Assert.Equal(w.Apps, r.Apps);
            Assert.Equal(w with { EncryptedRootKey = r.EncryptedRootKey, Apps = r.Apps }, r);
        }
        Assert.Equal(50, reader.Count);
        Assert.Equal(50, reader.SummaryCount);
        Assert.Null(reader.Read());
    }

    [Fact]
    public async Task The_header_comes_back_as_written()
    {
        var header = new KeyExportHeader(ExportId: 4321, ConfigId: ulong.MaxValue,
            Created: new DateTimeOffset(2026, 11, 27, 11, 30, 15, TimeSpan.FromHours(2)),
            Batch: " 1000 , 1002-1005", NodeId: "0x0010-0x001F,0x40",
            From: new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), To: new DateTimeOffset(2026, 11, 30, 23, 59, 59, 999, TimeSpan.Zero),
            IncludePending: true, ServerVersion: "0.1.0+abc123");
        var file = await ExportSamples.WriteAsync([], header);

        using var reader = new KeyExportReader(new MemoryStream(file), "device_keys.xml");
        Assert.Equal(header, reader.Header);
        Assert.Equal(TimeSpan.Zero, reader.Header.Created.Offset);
        Assert.Null(reader.Read());
        Assert.Equal(0, reader.SummaryCount);
    }

    [Fact]
    public async Task Absent_filters_stay_absent()
    {
        var header = ExportSamples.Header() with { Batch = null, NodeId = null, From = null, To = null };
        var file = await ExportSamples.WriteAsync([], header);
        Assert.Contains("<filter includePending=\"false\" />", Encoding.UTF8.GetString(file));
        using var reader = new KeyExportReader(new MemoryStream(file), "device_keys.xml");
        Assert.Equal(header, reader.Header);
    }

    [Fact]
    public async Task Apps_keep_missing_and_empty_values_apart()
    {
        var apps = new DeviceApp[] { new("emcm", "0A0B", null, ""), new("zigbee.v2", null, "ABCDEF0123456789abcdef", "00") };
        var file = await ExportSamples.WriteAsync([ExportSamples.Device(1, apps)]);
        Assert.Equal(apps, ExportSamples.ReadAll(file).Single().Apps);
    }

    [Fact]
    public async Task Times_are_written_in_utc_with_a_z_and_read_back_as_the_same_instant()
    {
        var local = new DateTimeOffset(2026, 11, 26, 10, 15, 0, TimeSpan.FromHours(2));
        var devices = new[]
        {
            ExportSamples.Device(1) with { Timestamp = local },
            ExportSamples.Device(2) with { Timestamp = new DateTimeOffset(2026, 11, 26, 8, 15, 0, 120, TimeSpan.Zero) },
            ExportSamples.Device(3) with { Timestamp = new DateTimeOffset(638_000_000_000_000_001, TimeSpan.Zero) },
        };
        var file = await ExportSamples.WriteAsync(devices);
        var xml = Encoding.UTF8.GetString(file);

        Assert.Contains("timestamp=\"2026-11-26T08:15:00Z\"", xml);
        Assert.Contains("timestamp=\"2026-11-26T08:15:00.12Z\"", xml);
        Assert.Contains(".0000001Z\"", xml);
        Assert.Contains("created=\"2026-11-27T09:30:15.25Z\"", xml);
        var read = ExportSamples.ReadAll(file);
        Assert.Equal(devices.Select(d => d.Timestamp), read.Select(d => d.Timestamp));
        Assert.All(read, d => Assert.Equal(TimeSpan.Zero, d.Timestamp.Offset));
    }

    [Fact]
    public async Task The_file_is_utf8_without_a_byte_order_mark_in_the_documented_namespace()
    {
        var file = await ExportSamples.WriteAsync([ExportSamples.Device(0x1234ABCD)]);
        var text = Encoding.UTF8.GetString(file);

        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>", text);
        Assert.Contains("<deviceKeys formatVersion=\"1\" exportId=\"17\" created=\"2026-11-27T09:30:15.25Z\" configId=\"69\" serverVersion=\"0.1.0\" xmlns=\"urn:provisioning:device-keys:1\">", text);
        Assert.Contains("<device nodeId=\"0x1234ABCD\" configId=\"69\" batch=\"1001\" timestamp=\"", text);
        Assert.Contains("<rootKey algorithm=\"RSA-OAEP-SHA256\" kmsKeyFingerprint=\"" + ExportSamples.Fingerprint + "\">", text);
        Assert.EndsWith("<summary deviceCount=\"1\" />\n</deviceKeys>", text.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("xmlns=\"\"", text);
    }

    [Fact]
    public async Task Pending_records_are_marked_pending()
    {
        var file = await ExportSamples.WriteAsync([ExportSamples.Device(1), ExportSamples.Device(2, status: DeviceStatus.Pending)]);
        Assert.Contains("status=\"pending\"", Encoding.UTF8.GetString(file));
        Assert.Equal([DeviceStatus.Confirmed, DeviceStatus.Pending], ExportSamples.ReadAll(file).Select(d => d.Status));
    }

    [Fact]
    public async Task Reads_a_file_from_disk()
    {
        var path = Path.Combine(Path.GetTempPath(), $"prov-export-{Guid.NewGuid():N}.xml");
        try
        {
            await File.WriteAllBytesAsync(path, await ExportSamples.WriteAsync(ExportSamples.Devices(3)));
            using var reader = KeyExportReader.Open(path);
            Assert.Equal(3, reader.ReadAll().Count());
            Assert.Equal(path, reader.SourceName);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
