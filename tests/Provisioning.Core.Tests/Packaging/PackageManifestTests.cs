using System.Text;
using Provisioning.Core.Packaging;

namespace Provisioning.Core.Tests.Packaging;

public sealed class PackageManifestTests : IDisposable
{
    private readonly PackageFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private string ManifestXml() => Encoding.UTF8.GetString(PackageFixture.ManifestBytes(PackageWriter.Describe(_fixture.Definition)));

    private static PackageFormatException Rejected(string xml) =>
        Assert.Throws<PackageFormatException>(() => PackageManifest.Read(new MemoryStream(Encoding.UTF8.GetBytes(xml))));

    [Fact]
    public void Round_trips_every_value()
    {
        var written = PackageWriter.Describe(_fixture.Definition);
        var read = PackageManifest.Read(new MemoryStream(PackageFixture.ManifestBytes(written)));

        Assert.Equal(1, read.FormatVersion);
        Assert.Equal(new ProvConfigId(69), read.ConfigId);
        Assert.Equal(["kite_170", "kite-171"], read.Aliases);
        Assert.Equal("ge_sgm3000_falconv1_zigbeev2", read.AppLabel);
        Assert.Equal(("UNODE", "1.2.3.4"), (read.NodeType, read.NodeVersion));
        Assert.Equal([new PackageApp("emcm", "5.6.7.8"), new PackageApp("zigbee", "2.0")], read.Apps);
        Assert.Equal(written.Created, read.Created);
        Assert.Equal(written.Created.Offset, read.Created.Offset);
        Assert.StartsWith("Provisioning ", read.Creator);
        Assert.Equal(written.Files, read.Files);
        Assert.Equal(11, read.Files.Count);
        Assert.Contains(read.Files, f => f is { Path: "apps/emcm/public_key/backend.pub.pem", Role: PackageFileRole.AppPublicKey, App: "emcm" });
    }

    [Fact]
    public void Describe_hashes_the_files()
    {
        var firmware = PackageWriter.Describe(_fixture.Definition).Files.Single(f => f.Role == PackageFileRole.NodeFirmware);
        var bytes = File.ReadAllBytes(_fixture.Definition.NodeFirmware);
        Assert.Equal("node/firmware/node_fw.bin", firmware.Path);
        Assert.Equal(bytes.Length, firmware.Size);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), firmware.Sha256);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(bytes)), firmware.Md5);
    }

    [Fact]
    public void Uses_the_package_namespace()
    {
        var xml = ManifestXml();
        Assert.Contains("<package formatVersion=\"1\" xmlns=\"urn:provisioning:package:1\">", xml);
        Assert.Contains("<configId>69</configId>", xml);
    }

    [Fact]
    public void The_schema_rejects_a_manifest_without_files()
    {
        var xml = ManifestXml();
        var start = xml.IndexOf("<files>", StringComparison.Ordinal);
        var ex = Rejected(xml[..start] + "</package>");
        Assert.Equal("manifest.xml", ex.EntryName);
        Assert.Contains("schema", ex.Message);
    }

    [Fact]
    public void The_schema_rejects_a_malformed_hash()
    {
        var xml = ManifestXml();
        int at = xml.IndexOf("sha256=\"", StringComparison.Ordinal) + "sha256=\"".Length;
        Assert.Contains("schema", Rejected(xml[..at] + "A" + xml[(at + 1)..]).Message);
    }

    [Fact]
    public void The_schema_rejects_another_namespace() =>
        Assert.Contains("schema", Rejected(ManifestXml().Replace("urn:provisioning:package:1", "urn:other")).Message);

    [Fact]
    public void A_DTD_is_rejected()
    {
        var xml = ManifestXml().Replace("<package ", "<!DOCTYPE package [<!ENTITY x \"boom\">]>\n<package ");
        var ex = Rejected(xml);
        Assert.Equal("manifest.xml", ex.EntryName);
        Assert.Contains("manifest.xml", ex.Message);
        Assert.Contains("DTDs and entities are not allowed", ex.Message);
    }

    [Fact]
    public void An_external_entity_is_rejected()
    {
        var xml = ManifestXml().Replace("<package ", "<!DOCTYPE package [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<package ")
            .Replace("<appLabel>ge_sgm3000_falconv1_zigbeev2</appLabel>", "<appLabel>&x;</appLabel>");
        Assert.Contains("DTDs and entities are not allowed", Rejected(xml).Message);
    }

    [Fact]
    public void A_manifest_over_one_MiB_is_rejected()
    {
        var xml = ManifestXml().Replace("<configId>", "<!--" + new string('x', 1024 * 1024) + "--><configId>");
        Assert.Contains("larger than 1 MiB", Rejected(xml).Message);
    }

    [Fact]
    public void A_bad_config_id_is_named()
    {
        var ex = Rejected(ManifestXml().Replace("<configId>69</configId>", "<configId>18446744073709551616</configId>"));
        Assert.Contains("'18446744073709551616' is out of range", ex.Message);
    }

    [Fact]
    public void Hex_config_ids_are_read() =>
        Assert.Equal(0x45UL, PackageManifest.Read(new MemoryStream(Encoding.UTF8.GetBytes(
            ManifestXml().Replace("<configId>69</configId>", "<configId>0x45</configId>")))).ConfigId.Value);

    public static TheoryData<string, string, string> BadFileLists => new()
    {
        { "role=\"NodeFieldConfig\"", "role=\"NodeFirmware\"", "second NodeFirmware" },
        { "role=\"NodeFactoryConfig\"", "role=\"NodeFirmware\"", "second NodeFirmware" },
        { "path=\"node/firmware/node_fw.bin\"", "path=\"../node_fw.bin\"", "'..' segment" },
        { "path=\"node/firmware/node_fw.bin\"", "path=\"/etc/passwd\"", "absolute" },
        { "path=\"node/firmware/node_fw.bin\"", "path=\"node\\firmware\\node_fw.bin\"", "backslash" },
        { "path=\"node/firmware/node_fw.bin\"", "path=\"C:/node_fw.bin\"", "drive letter" },
        { "path=\"node/firmware/node_fw.bin\"", "path=\"node//node_fw.bin\"", "empty segment" },
        { "path=\"node/field_config/field.cfg\"", "path=\"NODE/firmware/node_fw.bin\"", "twice" },
        { "path=\"node/firmware/node_fw.bin\"", "path=\"node/other/node_fw.bin\"", "must lie directly in node/firmware/" },
        { "path=\"node/firmware/node_fw.bin\"", "path=\"manifest.xml\"", "reserved" },
        { "app=\"zigbee\"", "app=\"wifi\"", "does not declare" },
        { "role=\"AppFieldConfig\" app=\"emcm\"", "role=\"AppFirmware\" app=\"emcm\"", "second AppFirmware of app 'emcm'" },
        { "role=\"NodeFieldConfig\"", "role=\"NodeFieldConfig\" app=\"emcm\"", "only application files name an app" },
    };

    [Theory]
    [MemberData(nameof(BadFileLists))]
    public void Role_and_path_rules_are_enforced(string original, string replacement, string expected)
    {
        var xml = ManifestXml();
        int at = xml.IndexOf(original, StringComparison.Ordinal);
        Assert.True(at >= 0, original);
        var ex = Rejected(xml[..at] + replacement + xml[(at + original.Length)..]);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void A_required_role_must_be_present()
    {
        var xml = ManifestXml();
        var line = xml.Split('\n').Single(l => l.Contains("role=\"GatewayKeySignature\""));
        Assert.Contains("declares no GatewayKeySignature", Rejected(xml.Replace(line + "\n", "")).Message);
    }
}
