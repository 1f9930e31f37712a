using System.Net;
using System.Net.Sockets;
using Provisioning.Server.Hosting;
using Provisioning.Server.Store;

namespace Provisioning.Server.Tests.Store;

/// <summary>
/// What runs without a SQL Server: the spec is read and checked, and a server that cannot be reached makes the start
/// fail with a message naming it, before anything is written. (A closed port on this machine stands for the server.)
/// </summary>
public sealed class SqlServerConnectionTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("prov-sqlserver-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string Unreachable() =>
        $"sqlserver:Server=tcp:127.0.0.1,{ClosedPort()};Database=orw_prov;User ID=prov;Connect Timeout=5;Connect Retry Count=0;Encrypt=False";

    [Fact]
    public async Task An_unreachable_server_is_named_in_the_error_and_nothing_is_migrated()
    {
        var spec = Unreachable();
        await using var store = StoreFactory.Create(spec, _data, password: "s3cret-pw");

        var e = await Assert.ThrowsAsync<SqlServerUnavailableException>(() => store.MigrateAsync());

        Assert.Equal("tcp:127.0.0.1," + spec.Split(',')[1].Split(';')[0], e.Server);
        Assert.Contains($"SQL Server '{e.Server}' (database 'orw_prov') cannot be reached", e.Message);
        Assert.DoesNotContain("s3cret-pw", e.ToString());
    }

    [Fact]
    public async Task A_server_start_on_an_unreachable_SQL_Server_says_which_and_writes_no_admin_token()
    {
        var spec = Unreachable();
        await using var app = ProvisioningServer.Build(["--urls", "http://127.0.0.1:0", $"--Provisioning:DataPath={_data}",
            $"--Provisioning:Database={spec}", "--Provisioning:DatabasePassword=s3cret-pw", "--Provisioning:ConsoleLog=false"]);

        var e = await Assert.ThrowsAsync<StartupException>(() => ProvisioningServer.PrepareAsync(app));

        Assert.Contains("sqlserver:Data Source=tcp:127.0.0.1,", e.Message);
        Assert.Contains("cannot be reached", e.Message);
        Assert.DoesNotContain("s3cret-pw", e.Message);
        Assert.False(File.Exists(Path.Combine(_data, "admin.token")));
    }

    [Theory]
    [InlineData("sqlserver:Server=sql1;Database=orw_prov;User ID=prov")]
    [InlineData("sqlserver:Data Source=sql1\\FACTORY;Initial Catalog=orw_prov;Integrated Security=SSPI")]
    [InlineData("SQLServer:Server=tcp:sql1.factory.lan,1433;Database=orw_prov;Encrypt=Strict")]
    public async Task A_sqlserver_spec_opens_the_SQL_Server_store(string spec)
    {
        await using var store = StoreFactory.Create(spec, _data);
        Assert.Equal("sqlserver", store.Engine);
        Assert.Equal("orw_prov", ((SqlServerStore)store).Database);
    }

    [Fact]
    public void A_password_given_apart_is_used_and_never_described()
    {
        var described = StoreFactory.Describe("sqlserver:Server=sql1;Database=orw_prov;User ID=prov;Password=s3cret-pw");
        Assert.Equal("sqlserver:Data Source=sql1;Initial Catalog=orw_prov;User ID=prov", described);
        Assert.DoesNotContain("s3cret", StoreFactory.Describe("sqlserver:Server=sql1;Database=orw_prov;PWD=s3cret"));
    }

    [Theory]
    [InlineData("sqlserver:Database=orw_prov;Password=s3cret", "names no server")]
    [InlineData("sqlserver:Server=sql1;User ID=prov;Password=s3cret", "names no database")]
    [InlineData("sqlserver:Sever=sql1;Database=orw_prov;Password=s3cret", "not valid")]
    [InlineData("sqlserver:Server=sql1;Database=orw_prov;Encrypt=maybe;Password=s3cret", "not valid")]
    public void A_bad_sqlserver_spec_is_refused_with_the_forms_expected(string spec, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => StoreFactory.Create(spec, _data));
        Assert.Contains(expected, e.Message);
        Assert.Contains("'sqlserver:Server=<host>;Database=<name>;User ID=<user>'", e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
    }

    [Fact]
    public void Integrated_security_with_a_password_as_well_is_refused_rather_than_ignored()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            StoreFactory.Create("sqlserver:Server=sql1;Database=orw_prov;Integrated Security=true", _data, password: "s3cret"));
        Assert.Contains("Integrated Security", e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
    }
}
