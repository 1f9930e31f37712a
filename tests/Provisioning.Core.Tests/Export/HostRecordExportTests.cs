using System.Security.Cryptography;
using System.Text;
using Provisioning.Core.Api;
using Provisioning.Core.Crypto;
using Provisioning.Core.Export;

namespace Provisioning.Core.Tests.Export;

/// <summary>Host records in the key export (hostRecord elements after the devices) and the head end's decryption of app keys.</summary>
public class HostRecordExportTests
{
    private static ExportedHostRecord Host(uint? node, string id, string? key = null, string status = DeviceStatus.Confirmed) =>
        new(node, ExportSamples.ConfigId, 1000, ExportSamples.Start.AddMinutes(1), status, [new DeviceApp("emcm", id, key, "0102")]);

    private static async Task<byte[]> WriteAsync(IEnumerable<ExportedDevice> devices, IEnumerable<ExportedHostRecord> hosts)
    {
        using var output = new MemoryStream();
        await using (var writer = new KeyExportWriter(output, ExportSamples.Header()))
        {
            foreach (var device in devices) await writer.WriteAsync(device);
            foreach (var host in hosts) await writer.WriteAsync(host);
            await writer.CompleteAsync();
            Assert.Equal(2, writer.HostRecordCount);
        }
        return output.ToArray();
    }

    [Fact]
    public async Task Host_records_come_back_after_the_devices_with_and_without_a_node_id()
    {
        var devices = ExportSamples.Devices(3).ToList();
        var hosts = new[] { Host(null, "00A1"), Host(0x10, "00A2", "ABCD", DeviceStatus.Pending) };
        var file = await WriteAsync(devices, hosts);
        string text = Encoding.UTF8.GetString(file);
        Assert.Contains("<summary deviceCount=\"3\" hostRecordCount=\"2\" />", text);
        Assert.Contains("<hostRecord configId=\"69\"", text);
        Assert.Contains("<hostRecord nodeId=\"0x00000010\"", text);

        using var reader = new KeyExportReader(new MemoryStream(file), "device_keys.xml");
        var read = new List<object>();
        while (reader.ReadRecord() is { } record) read.Add(record);
        Assert.Equal(5, read.Count);
        Assert.All(read.Take(3), r => Assert.IsType<ExportedDevice>(r));
        var h = read.Skip(3).Cast<ExportedHostRecord>().ToList();
        Assert.Null(h[0].NodeId);
        Assert.Equal(hosts[0].Apps, h[0].Apps);
        Assert.Equal(hosts[1] with { Apps = h[1].Apps }, h[1]);
        Assert.Equal(hosts[1].Apps, h[1].Apps);
        Assert.Equal(3, reader.Count);
        Assert.Equal(2, reader.HostRecordCount);
    }

    [Fact]
    public async Task A_reader_of_devices_passes_host_records_over_and_still_checks_the_summary()
    {
        var file = await WriteAsync(ExportSamples.Devices(2), [Host(null, "01"), Host(null, "02")]);
        using var reader = new KeyExportReader(new MemoryStream(file), "device_keys.xml");
        Assert.Equal(2, reader.ReadAll().Count());
        Assert.Equal(2, reader.HostRecordCount);

        // One host record removed by hand: the summary no longer matches.
        string text = Encoding.UTF8.GetString(file);
        int start = text.IndexOf("<hostRecord", StringComparison.Ordinal);
        int end = text.IndexOf("</hostRecord>", start, StringComparison.Ordinal) + "</hostRecord>".Length;
        var edited = Encoding.UTF8.GetBytes(text.Remove(start, end - start));
        using var damaged = new KeyExportReader(new MemoryStream(edited), "device_keys.xml");
        var e = Assert.Throws<FormatException>(() => damaged.ReadAll().ToList());
        Assert.Contains("counts 2 host records, but the file holds 1", e.Message);
    }

    [Fact]
    public async Task The_writer_refuses_a_device_after_a_host_record_and_a_host_record_without_apps()
    {
        using var output = new MemoryStream();
        await using var writer = new KeyExportWriter(output, ExportSamples.Header());
        await Assert.ThrowsAsync<ArgumentException>(async () => await writer.WriteAsync(Host(null, "01") with { Apps = [] }));
        await writer.WriteAsync(Host(null, "01"));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await writer.WriteAsync(ExportSamples.Device(1)));
        var bad = await Assert.ThrowsAsync<ArgumentException>(async () => await writer.WriteAsync(Host(7, "XY")));
        Assert.Contains("The host record of node 0x00000007 cannot be exported: the id of app 'emcm' is not a hexadecimal string", bad.Message);
    }

    [Fact]
    public async Task The_head_end_decrypts_app_keys_and_names_the_record_when_one_does_not_fit()
    {
        using var hes = RSA.Create(2048);
        using var other = RSA.Create(2048);
        var folder = Directory.CreateTempSubdirectory("hes-").FullName;
        try
        {
            string keyPath = Path.Combine(folder, "hes_key.pem");
            File.WriteAllText(keyPath, hes.ExportPkcs8PrivateKeyPem());
            byte[] appKey = RandomNumberGenerator.GetBytes(16);
            string good = AppKeyEncryption.Encrypt(hes, appKey), wrong = AppKeyEncryption.Encrypt(other, appKey);
            var device = ExportSamples.Device(0x20, [new DeviceApp("emcm", "00A1", good, null)]);

            using var ingest = new AppKeyIngest("emcm", keyPath, default);
            var app = ingest.Find(device.Apps)!;
            using (var decrypted = ingest.Decrypt(ExportedAppRecord.Of(device), app, "device_keys.xml"))
            {
                Assert.Equal(appKey, decrypted.Key.ToArray());
                Assert.Equal(GatewayKeys.CheckValue(appKey), decrypted.KeyCheckValue);
                Assert.Equal("device", decrypted.Record.Source);
                Assert.DoesNotContain(Convert.ToHexString(appKey), decrypted.ToString());
            }
            var host = Host(null, "00A2", wrong);
            var e = Assert.Throws<AppKeyDecryptionException>(() => ingest.Decrypt(ExportedAppRecord.Of(host), host.Apps[0], "device_keys.xml"));
            Assert.Contains("the 'emcm' key of the host record of batch 1000", e.Message);
            Assert.Contains("encrypted for another key", e.Message);
            Assert.Null(ingest.Find([new DeviceApp("zigbee", "01", null, null)]));
            using var none = ingest.Decrypt(ExportedAppRecord.Of(host), new DeviceApp("emcm", "01", null, null), "device_keys.xml");
            Assert.False(none.HasKey);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
