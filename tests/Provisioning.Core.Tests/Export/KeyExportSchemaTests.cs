using System.Text;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using Provisioning.Core.Api;
using Provisioning.Core.Export;

namespace Provisioning.Core.Tests.Export;

/// <summary>What the writer produces against the published schema, in-process and with xmllint as docs/export-format.md shows.</summary>
public class KeyExportSchemaTests
{
    private static IEnumerable<ExportedDevice> Varied() =>
    [
        ExportSamples.Device(0),
        ExportSamples.Device(uint.MaxValue, [new("emcm", "", "00", "ABCDEF"), new("z.b-2_x", null, null, null)], DeviceStatus.Pending),
        ExportSamples.Device(0x00ABCDEF) with { Batch = uint.MaxValue, EncryptedRootKey = new byte[2048], Timestamp = new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero) },
        ExportSamples.Device(7) with { ConfigId = ExportSamples.ConfigId, Timestamp = new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999) },
    ];

    private static KeyExportHeader FullHeader() => ExportSamples.Header() with
    {
        NodeId = "0x0010-0x001F,0x40", To = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.FromHours(-5)), IncludePending = true,
    };

    [Fact]
    public async Task The_embedded_schema_is_the_published_file()
    {
        using var embedded = KeyExportSchema.OpenXsd();
        using var copy = new MemoryStream();
        await embedded.CopyToAsync(copy);
        Assert.Equal(await File.ReadAllBytesAsync(ExportSamples.SchemaPath), copy.ToArray());
    }

    [Fact]
    public async Task Written_files_are_valid_against_the_schema_set()
    {
        var file = await ExportSamples.WriteAsync(Varied(), FullHeader());
        var errors = new List<string>();
        var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema, Schemas = KeyExportSchema.CreateSchemaSet(), DtdProcessing = DtdProcessing.Prohibit };
        settings.ValidationFlags |= XmlSchemaValidationFlags.ReportValidationWarnings;
        settings.ValidationEventHandler += (_, e) => errors.Add($"{e.Severity} line {e.Exception.LineNumber}: {e.Message}");
        using (var reader = XmlReader.Create(new MemoryStream(file), settings))
            while (reader.Read())
            {
            }
        Assert.Empty(errors);
    }

    [Fact]
    public void The_schema_set_rejects_a_file_without_a_summary()
    {
        var doc = XDocument.Parse("<deviceKeys xmlns='urn:provisioning:device-keys:1' formatVersion='1' exportId='1' created='2026-01-01T00:00:00Z' configId='69' serverVersion='1'><filter includePending='false'/></deviceKeys>");
        var errors = new List<string>();
        doc.Validate(KeyExportSchema.CreateSchemaSet(), (_, e) => errors.Add(e.Message));
        Assert.Contains(errors, e => e.Contains("summary", StringComparison.Ordinal));
    }

    [ToolFact("xmllint")]
    public async Task Xmllint_validates_a_written_file_with_the_documented_command()
    {
        var path = Path.Combine(Path.GetTempPath(), $"prov-device_keys-{Guid.NewGuid():N}.xml");
        try
        {
            await File.WriteAllBytesAsync(path, await ExportSamples.WriteAsync(Varied(), FullHeader()));
            var run = ExternalTool.Run("xmllint", "--noout", "--schema", ExportSamples.SchemaPath, path);
            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Contains($"{path} validates", run.Stderr);

            // And it does check: a file cut before its summary fails.
            var text = await File.ReadAllTextAsync(path);
            await File.WriteAllTextAsync(path, text[..text.IndexOf("<summary", StringComparison.Ordinal)] + "</deviceKeys>\n", new UTF8Encoding(false));
            var cut = ExternalTool.Run("xmllint", "--noout", "--schema", ExportSamples.SchemaPath, path);
            Assert.NotEqual(0, cut.ExitCode);
            Assert.Contains("fails to validate", cut.Stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [ToolFact("xmllint")]
    public async Task Xmllint_refuses_what_the_schema_forbids()
    {
        var xml = Encoding.UTF8.GetString(await ExportSamples.WriteAsync([ExportSamples.Device(0x10)]));
        foreach (var (from, to) in new[]
                 {
                     ("nodeId=\"0x00000010\"", "nodeId=\"16\""),
                     ("status=\"confirmed\"", "status=\"sent\""),
                     ("timestamp=\"2026-11-26T08:00:16Z\"", "timestamp=\"2026-11-26T08:00:16\""),
                     ("kmsKeyFingerprint=\"SHA256:", "kmsKeyFingerprint=\"MD5:"),
                     ("<summary deviceCount=\"1\" />", ""),
                 })
        {
            Assert.Contains(from, xml);
            var path = Path.Combine(Path.GetTempPath(), $"prov-device_keys-{Guid.NewGuid():N}.xml");
            try
            {
                await File.WriteAllTextAsync(path, xml.Replace(from, to), new UTF8Encoding(false));
                var run = ExternalTool.Run("xmllint", "--noout", "--schema", ExportSamples.SchemaPath, path);
                Assert.True(run.ExitCode != 0, $"xmllint accepted {to}");
            }
            finally
            {
                File.Delete(path);
            }
        }
    }
}
