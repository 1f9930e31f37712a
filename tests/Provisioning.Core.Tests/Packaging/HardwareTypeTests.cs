using System.Text;
using Provisioning.Core.Packaging;

namespace Provisioning.Core.Tests.Packaging;

/// <summary>The optional list of hardware types a package's node firmware supports (manifest <c>node/@hardwareTypes</c>).</summary>
public sealed class HardwareTypeTests : IDisposable
{
    private readonly PackageFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private static string SchemaPath { get; } = SourceTree.Find("docs/schemas/package-manifest.xsd");

    private string ManifestXml(params string[] hardwareTypes)
    {
        _fixture.Definition.HardwareTypes.AddRange(hardwareTypes);
        return Encoding.UTF8.GetString(PackageFixture.ManifestBytes(PackageWriter.Describe(_fixture.Definition)));
    }

    private static PackageManifest Read(string xml) => PackageManifest.Read(new MemoryStream(Encoding.UTF8.GetBytes(xml)));

    private static string WithHardwareTypes(string xml, string attribute) =>
        xml.Replace("version=\"1.2.3.4\"", $"version=\"1.2.3.4\" hardwareTypes=\"{attribute}\"", StringComparison.Ordinal);

    [Fact]
    public void Hardware_types_round_trip_in_order_as_one_space_separated_attribute()
    {
        var xml = ManifestXml("rev-b", "rev-a", "HW_3.1");

        Assert.Contains("hardwareTypes=\"rev-b rev-a HW_3.1\"", xml);
        Assert.Equal(["rev-b", "rev-a", "HW_3.1"], Read(xml).HardwareTypes);
    }

    [Fact]
    public void A_package_without_hardware_types_writes_no_attribute_and_reads_as_any()
    {
        var xml = ManifestXml();

        Assert.DoesNotContain("hardwareTypes", xml);
        Assert.Empty(Read(xml).HardwareTypes);
    }

    [Fact]
    public void Extra_blanks_between_hardware_types_are_only_separators()
    {
        var xml = WithHardwareTypes(ManifestXml(), "  rev-a \t rev-b ");
        Assert.Equal(["rev-a", "rev-b"], Read(xml).HardwareTypes);
    }

    [Theory]
    [InlineData("", "schema")]
    [InlineData("   ", "schema")]
    [InlineData("rev-a REV-A", "hardware type 'REV-A' twice")]
    public void The_reader_refuses_a_bad_list(string attribute, string expected)
    {
        var e = Assert.Throws<PackageFormatException>(() => Read(WithHardwareTypes(ManifestXml(), attribute)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_hardware_type_longer_than_128_characters_is_refused_by_the_schema()
    {
        var e = Assert.Throws<PackageFormatException>(() => Read(WithHardwareTypes(ManifestXml(), new string('r', 129))));
        Assert.Contains("schema", e.Message);
    }

    [Theory]
    [InlineData("rev a", "contains a blank")]
    [InlineData("", "is empty")]
    [InlineData("rev-a\u0001", "control")]
    public void The_definition_names_a_bad_hardware_type(string hardwareType, string expected)
    {
        _fixture.Definition.HardwareTypes.Add(hardwareType);
        var e = Assert.ThrowsAny<ArgumentException>(() => _fixture.Definition.Validate());
        Assert.Equal("HardwareType", e.ParamName);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void The_definition_refuses_a_hardware_type_given_twice()
    {
        _fixture.Definition.HardwareTypes.AddRange(["rev-a", "Rev-A"]);
        var e = Assert.ThrowsAny<ArgumentException>(() => _fixture.Definition.Validate());
        Assert.Contains("'Rev-A' is given twice", e.Message);
    }

    [ToolFact("xmllint")]
    public void Xmllint_validates_hardware_types_against_the_published_schema()
    {
        string folder = _fixture.Folder("xsd");
        string Validate(string xml)
        {
            string path = Path.Combine(folder, $"{Guid.NewGuid():N}.xml");
            File.WriteAllText(path, xml);
            var run = ExternalTool.Run("xmllint", "--noout", "--schema", SchemaPath, path);
            return run.ExitCode == 0 ? "valid" : run.Stderr;
        }

        var good = ManifestXml("rev-a", "rev-b");
        Assert.Equal("valid", Validate(good));
        Assert.Equal("valid", Validate(good.Replace(" hardwareTypes=\"rev-a rev-b\"", "", StringComparison.Ordinal)));
        Assert.NotEqual("valid", Validate(good.Replace("rev-a rev-b", "", StringComparison.Ordinal)));
        Assert.NotEqual("valid", Validate(good.Replace("rev-a rev-b", new string('r', 129), StringComparison.Ordinal)));
    }
}
