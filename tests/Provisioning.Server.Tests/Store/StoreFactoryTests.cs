using Provisioning.Server.Store;

namespace Provisioning.Server.Tests.Store;

public sealed class StoreFactoryTests
{
    private static readonly string DataPath = Path.Combine(Path.GetTempPath(), "prov-factory-data");

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sqlite")]
    [InlineData(" SQLite ")]
    public async Task The_default_is_provisioning_db_under_the_data_path(string? spec)
    {
        await using var store = StoreFactory.Create(spec, DataPath);
        Assert.Equal("sqlite", store.Engine);
        Assert.Equal(Path.Combine(DataPath, "provisioning.db"), ((SqliteStore)store).Path);
    }

    [Fact]
    public async Task A_sqlite_file_is_taken_as_given_or_relative_to_the_data_path()
    {
        var absolute = Path.Combine(Path.GetTempPath(), "elsewhere", "factory.db");
        await using var given = StoreFactory.Create("sqlite:" + absolute, DataPath);
        await using var relative = StoreFactory.Create("sqlite:db/line1.db", DataPath);

        Assert.Equal(absolute, ((SqliteStore)given).Path);
        Assert.Equal(Path.Combine(DataPath, "db", "line1.db"), ((SqliteStore)relative).Path);
    }

    [Fact]
    public async Task A_mysql_spec_opens_the_mysql_store_with_a_separately_given_password()
    {
        await using var store = StoreFactory.Create("mysql:Server=db1;Database=orw_prov;User ID=prov", DataPath, password: "s3cret");
        Assert.Equal("mysql", store.Engine);
    }

    [Theory]
    [InlineData("mysql:Server=db1;Database=orw_prov;User ID=prov;Password=s3cret", "mysql:Server=db1;User ID=prov;Database=orw_prov")]
    [InlineData("mysql:Server=db1;Database=orw_prov;pwd=s3cret", "mysql:Server=db1;Database=orw_prov")]
    [InlineData("sqlite:/var/lib/prov/p.db", "sqlite:/var/lib/prov/p.db")]
    [InlineData(null, "sqlite")]
    public void Describe_never_shows_a_password(string? spec, string expected)
    {
        Assert.Equal(expected, StoreFactory.Describe(spec));
    }

    [Theory]
    [InlineData("postgres:Host=db;Password=s3cret", "mysql:")]
    [InlineData("Server=db;Password=s3cret", "without an engine prefix")]
    [InlineData("sqlite:", "names no file")]
    [InlineData("mysql:Server=db1;User ID=prov;Password=s3cret", "names no database")]
    [InlineData("mysql:Database=orw_prov;Password=s3cret", "names no server")]
    [InlineData("mysql:Sever=db1;Database=orw_prov;Password=s3cret", "not valid")]
    [InlineData("oracle", "'oracle' is not understood")]
    public void A_bad_spec_names_the_forms_expected_without_echoing_a_password(string spec, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => StoreFactory.Create(spec, DataPath));
        Assert.Contains(expected, e.Message);
        Assert.Contains("'sqlite:<file>'", e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
        Assert.DoesNotContain("s3cret", StoreFactory.Describe(spec));
    }
}
