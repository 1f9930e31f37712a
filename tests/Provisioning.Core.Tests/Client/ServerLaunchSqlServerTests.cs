using Provisioning.Core.Client;

namespace Provisioning.Core.Tests.Client;

/// <summary>A SQL Server database on the server's command line: the user there, the password only in its environment.</summary>
public class ServerLaunchSqlServerTests
{
    private static ServerLaunch Launch(string? database, string? user = null, char[]? password = null) => new()
    {
        ServerAssembly = "/opt/prov/server/Provisioning.Server.dll",
        DotnetHost = "/usr/bin/dotnet",
        DataPath = "/var/lib/prov",
        Database = database,
        DatabaseUser = user,
        DatabasePassword = password,
    };

    private static string Spec(System.Diagnostics.ProcessStartInfo info) =>
        info.ArgumentList.Single(a => a.StartsWith("--Provisioning:Database=", StringComparison.Ordinal))["--Provisioning:Database=".Length..];

    [Fact]
    public void A_credential_puts_the_user_in_the_spec_and_the_password_in_the_environment()
    {
        var launch = Launch("sqlserver:Server=tcp:sql1,1433;Database=orw_prov;UID=someone", "prov", "pw;with=odd'chars".ToCharArray());
        var info = launch.StartInfo();

        Assert.StartsWith("sqlserver:", Spec(info));
        Assert.Contains("User ID=prov", Spec(info));
        Assert.DoesNotContain("someone", Spec(info));
        Assert.DoesNotContain(info.ArgumentList, a => a.Contains("pw;with", StringComparison.Ordinal));
        Assert.Equal("pw;with=odd'chars", info.Environment[ServerLaunch.DatabasePasswordVariable]);
        Assert.DoesNotContain("pw;with", launch.DescribeDatabase());
    }

    [Theory]
    [InlineData("sqlserver:Server=sql1;Database=orw_prov;User ID=prov;Password=s3cret!")]
    [InlineData("SQLServer:Server=sql1;Database=orw_prov;User ID=prov;PWD=s3cret!")]
    public void A_password_in_the_connection_string_moves_to_the_environment(string database)
    {
        var info = Launch(database).StartInfo();
        Assert.DoesNotContain(info.ArgumentList, a => a.Contains("s3cret", StringComparison.Ordinal));
        Assert.Contains("orw_prov", Spec(info));
        Assert.Equal("s3cret!", info.Environment[ServerLaunch.DatabasePasswordVariable]);
    }

    [Fact]
    public void Integrated_security_passes_no_password()
    {
        var info = Launch("sqlserver:Server=sql1;Database=orw_prov;Integrated Security=true").StartInfo();
        Assert.Contains("Integrated Security=true", Spec(info), StringComparison.OrdinalIgnoreCase);
        Assert.False(info.Environment.ContainsKey(ServerLaunch.DatabasePasswordVariable));
    }

    [Fact]
    public void Server_databases_take_a_credential_and_SQLite_does_not()
    {
        Assert.True(ServerLaunch.IsServerDatabase("sqlserver:Server=sql1;Database=orw_prov"));
        Assert.True(ServerLaunch.IsServerDatabase(" mysql:Server=db1;Database=orw_prov"));
        Assert.False(ServerLaunch.IsServerDatabase("sqlite:line1.db"));
        Assert.False(ServerLaunch.IsServerDatabase(null));
        Assert.Contains("sqlserver:Server=<host>;Database=<name>", ServerLaunch.DatabaseForms);
    }

    [Fact]
    public void A_connection_string_that_cannot_be_read_is_refused_with_an_example_and_without_echoing_it()
    {
        var e = Assert.Throws<ArgumentException>(() => Launch("sqlserver:Server=sql1;Password='s3cret").DescribeDatabase());
        Assert.Contains("The SQL Server connection string in -Database is not valid", e.Message);
        Assert.Contains("sqlserver:Server=host,1433;Database=orw_prov", e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
    }
}
