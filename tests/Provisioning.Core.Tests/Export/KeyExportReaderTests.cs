using System.Text;
using Provisioning.Core.Export;

namespace Provisioning.Core.Tests.Export;

public class KeyExportReaderTests
{
    private static async Task<string> SampleXml(int count = 5) => Encoding.UTF8.GetString(await ExportSamples.WriteAsync(ExportSamples.Devices(count)));

    private static FormatException Rejected(string xml) =>
        Assert.ThrowsAny<FormatException>(() => ExportSamples.ReadAll(Encoding.UTF8.GetBytes(xml)));

    [Fact]
    public async Task A_file_cut_short_anywhere_is_reported_as_cut_short()
    {
        var file = await ExportSamples.WriteAsync(ExportSamples.Devices(20));
        int summaryAt = Encoding.UTF8.GetString(file).IndexOf("<summary", StringComparison.Ordinal);
        var cuts = Enumerable.Range(1, 60).Select(i => (long)file.Length * i / 61).Append(summaryAt).Append(file.Length - 1).Append(file.Length - 14);
        foreach (int cut in cuts)
        {
            var e = Assert.ThrowsAny<FormatException>(() => ExportSamples.ReadAll(file[..cut]));
            Assert.True(e.Message.Contains("device_keys.xml was cut short", StringComparison.Ordinal), $"cut at {cut} of {file.Length}: {e.Message}");
            Assert.Contains("export the keys again", e.Message);
        }
    }

    [Fact]
    public async Task A_cut_short_file_gives_its_devices_before_it_fails()
    {
        var file = await ExportSamples.WriteAsync(ExportSamples.Devices(20));
        int cut = Encoding.UTF8.GetString(file).IndexOf("<summary", StringComparison.Ordinal);
        using var reader = new KeyExportReader(new MemoryStream(file[..cut]), "device_keys.xml");
        for (int i = 0; i < 20; i++)
            Assert.NotNull(reader.Read());
        var e = Assert.Throws<FormatException>(() => reader.Read());
        Assert.Contains("after 20 devices in full", e.Message);
        Assert.Null(reader.SummaryCount);
        // It stays failed rather than pretending the file ended.
        Assert.Contains("already failed", Assert.Throws<InvalidOperationException>(() => reader.Read()).Message);
    }

    [Fact]
    public void An_empty_file_is_reported_as_empty()
    {
        var e = Assert.Throws<FormatException>(() => ExportSamples.ReadAll([]));
        Assert.Contains("device_keys.xml is empty", e.Message);
    }

    [Fact]
    public async Task A_file_without_its_summary_is_incomplete()
    {
        var xml = await SampleXml();
        var e = Rejected(System.Text.RegularExpressions.Regex.Replace(xml, "<summary[^>]*>", ""));
        Assert.Contains("ends after 5 devices without the summary a complete key export ends with", e.Message);
    }

    [Fact]
    public async Task A_summary_that_disagrees_with_the_devices_is_refused()
    {
        var xml = await SampleXml();
        var e = Rejected(xml.Replace("<summary deviceCount=\"5\"", "<summary deviceCount=\"6\""));
        Assert.Contains("has a summary that counts 6 devices, but the file holds 5:", e.Message);

        int start = xml.IndexOf("<device ", StringComparison.Ordinal), end = xml.IndexOf("</device>", StringComparison.Ordinal) + "</device>".Length;
        e = Rejected(xml.Remove(start, end - start));
        Assert.Contains("counts 5 devices, but the file holds 4:", e.Message);
    }

    [Fact]
    public async Task A_dtd_is_refused()
    {
        var xml = await SampleXml();
        var withDtd = xml.Replace("<deviceKeys ", "<!DOCTYPE deviceKeys [<!ENTITY x \"y\">]>\n<deviceKeys ");
        var e = Rejected(withDtd);
        Assert.Contains("device_keys.xml declares a DTD (<!DOCTYPE ...>), which a key export file never has", e.Message);
    }

    [Fact]
    public void Another_kind_of_xml_file_is_named_as_such()
    {
        var e = Rejected("<?xml version=\"1.0\"?>\n<package formatVersion=\"1\" xmlns=\"urn:provisioning:package:1\"><configId>69</configId></package>\n");
        Assert.Contains("device_keys.xml is not a key export file: its root element is 'package' in namespace 'urn:provisioning:package:1', not 'deviceKeys' in 'urn:provisioning:device-keys:1'", e.Message);
    }

    [Fact]
    public async Task A_newer_format_version_asks_for_a_newer_reader()
    {
        var e = Rejected((await SampleXml()).Replace("formatVersion=\"1\"", "formatVersion=\"2\""));
        Assert.Contains("is a key export of format version 2; this version of Provisioning reads format version 1", e.Message);
    }

    [Fact]
    public async Task Devices_of_another_config_are_refused()
    {
        var xml = await SampleXml();
        int second = xml.IndexOf("configId=\"69\"", xml.IndexOf("<device ", StringComparison.Ordinal), StringComparison.Ordinal);
        var e = Rejected(xml[..second] + "configId=\"70\"" + xml[(second + "configId=\"69\"".Length)..]);
        Assert.Contains("is an export of config 69, but its device 0x00000100 belongs to config 70", e.Message);
    }

    [Theory]
    [InlineData("nodeId=\"0x00000101\"", "nodeId=\"0x101\"", "'nodeId'")]
    [InlineData("nodeId=\"0x00000101\"", "nodeId=\"0x0000010b\"", "'nodeId'")]
    [InlineData("batch=\"1001\"", "batch=\"4294967296\"", "'batch'")]
    [InlineData("status=\"confirmed\"", "status=\"done\"", "'status'")]
    [InlineData("timestamp=\"2026-11-26T08:04:17Z\"", "timestamp=\"2026-11-26T08:04:17+01:00\"", "'timestamp'")]
    [InlineData("algorithm=\"RSA-OAEP-SHA256\"", "", "'algorithm'")]
    [InlineData("<summary ", "<extra /><summary ", "extra")]
    public async Task Values_the_schema_forbids_are_refused_with_their_place(string from, string to, string named)
    {
        var xml = await SampleXml();
        int at = xml.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, from);
        var e = Rejected(xml[..at] + to + xml[(at + from.Length)..]);
        Assert.Contains("does not match the key export schema (docs/schemas/device-keys.xsd) at line", e.Message);
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public async Task A_damaged_root_key_is_refused()
    {
        var xml = await SampleXml();
        int at = xml.IndexOf("\">", xml.IndexOf("<rootKey", StringComparison.Ordinal), StringComparison.Ordinal) + 2;
        var e = Rejected(xml[..at] + "!!" + xml[(at + 2)..]);
        Assert.Contains("does not match the key export schema", e.Message);
        Assert.Contains("line 5", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(50)]
    public async Task Content_after_the_document_is_refused_and_not_mistaken_for_a_cut(int count)
    {
        var e = Rejected(await SampleXml(count) + "<deviceKeys/>");
        Assert.Contains("is not readable XML", e.Message);
    }
}
