using Provisioning.Core.Packaging;

namespace Provisioning.Core.Tests.Packaging;

public sealed class PackageDefinitionTests : IDisposable
{
    private readonly PackageFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private ArgumentException Invalid(Action<PackageDefinition> change)
    {
        change(_fixture.Definition);
        return Assert.ThrowsAny<ArgumentException>(() => _fixture.Definition.Validate());
    }

    [Fact]
    public void A_complete_definition_is_valid() => _fixture.Definition.Validate();

    [Theory]
    [InlineData("AppLabel")]
    [InlineData("NodeType")]
    [InlineData("NodeVersion")]
    [InlineData("NodeFirmware")]
    [InlineData("NodeFieldConfig")]
    [InlineData("KmsPublicKeyPath")]
    [InlineData("GatewayKeyFile")]
    public void A_missing_required_value_names_its_parameter(string parameter)
    {
        var ex = Invalid(d => typeof(PackageDefinition).GetProperty(parameter)!.SetValue(d, ""));
        Assert.Equal(parameter, ex.ParamName);
    }

    [Fact]
    public void A_missing_file_is_named_with_its_parameter()
    {
        var missing = Path.Combine(_fixture.Root, "nope.cfg");
        var ex = Invalid(d => d.NodeFactoryConfig = missing);
        Assert.Equal("NodeFactoryConfig", ex.ParamName);
        Assert.Contains(missing, ex.Message);
        Assert.Contains("-NodeFactoryConfig", ex.Message);
    }

    [Fact]
    public void The_signature_must_lie_beside_the_gateway_key_file()
    {
        File.Delete(_fixture.Definition.GatewayKeySignatureFile);
        var ex = Invalid(_ => { });
        Assert.Equal("GatewayKeyFile", ex.ParamName);
        Assert.Contains("the signature gw_keys.csv.aes.sig must lie beside it", ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("a/b")]
    [InlineData("..")]
    public void Bad_aliases_are_refused(string alias)
    {
        var ex = Invalid(d => d.Aliases.Add(alias));
        Assert.Equal("ConfigAlias", ex.ParamName);
    }

    [Fact]
    public void Aliases_must_be_unique_regardless_of_case() =>
        Assert.Equal("ConfigAlias", Invalid(d => d.Aliases.Add("KITE_170")).ParamName);

    [Fact]
    public void Long_aliases_are_refused() =>
        Assert.Equal("ConfigAlias", Invalid(d => d.Aliases.Add(new string('a', 129))).ParamName);

    [Fact]
    public void App_names_must_be_unique_and_plain()
    {
        Assert.Equal("App", Invalid(d => d.Apps.Add(new AppBundleDefinition { Name = "EMCM" })).ParamName);
        _fixture.Definition.Apps.Clear();
        Assert.Equal("App", Invalid(d => d.Apps.Add(new AppBundleDefinition { Name = "../x" })).ParamName);
    }

    [Fact]
    public void A_missing_app_file_names_the_app()
    {
        var ex = Invalid(d => d.Apps[1].FieldConfig = "/nonexistent/zb.cfg");
        Assert.Equal("App", ex.ParamName);
        Assert.Contains("zigbee", ex.Message);
        Assert.Contains("/nonexistent/zb.cfg", ex.Message);
    }

    [Fact]
    public void Labels_may_not_hold_control_characters() =>
        Assert.Equal("NodeType", Invalid(d => d.NodeType = "UNODE\u0007").ParamName);

    [Fact]
    public void Labels_may_not_exceed_128_characters() =>
        Assert.Equal("AppLabel", Invalid(d => d.AppLabel = new string('x', 129)).ParamName);
}
