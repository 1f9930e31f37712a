using Provisioning.Core.Client;

namespace Provisioning.Core.Tests.Client;

public class ServerLaunchTests
{
    private static ServerLaunch Launch(string? database, string? user = null, char[]? password = null) => new()
    {
        ServerAssembly = "/opt/prov/server/Provisioning.Server.dll",
        DotnetHost = "/usr/bin/dotnet",
        Port = 18085,
        DataPath = "/var/lib/prov",
        Database = database,
        DatabaseUser = user,
        DatabasePassword = password,
    };

    [Fact]
    public void The_command_line_is_the_contracts()
    {
        var info = Launch(null).StartInfo();
        var args = info.ArgumentList.ToList();
        int dll = args.IndexOf("/opt/prov/server/Provisioning.Server.dll");
        Assert.True(dll >= 0);
        Assert.Equal(new[] { "--urls", "http://127.0.0.1:18085", "--Provisioning:DataPath=/var/lib/prov", "--Provisioning:ConsoleLog=false" }, args.Skip(dll + 1));
        Assert.Equal("/opt/prov/server", info.WorkingDirectory);
        // The default database is named by its file, which is what an operator looks for.
        Assert.Equal("sqlite:" + Path.Combine(Path.GetFullPath("/var/lib/prov"), "provisioning.db"), Launch(null).DescribeDatabase());
    }

    [Fact]
    public void A_sqlite_file_is_described_by_its_full_path_and_a_spec_of_no_known_form_is_refused_in_one_sentence()
    {
        Assert.Equal("sqlite:" + Path.GetFullPath("/var/lib/prov/line2.db"), Launch("sqlite:line2.db").DescribeDatabase());
        Assert.Equal("sqlite:" + Path.GetFullPath("/srv/p.db"), Launch("sqlite:/srv/p.db").DescribeDatabase());
        var e = Assert.Throws<ArgumentException>(() => Launch("bogus").DescribeDatabase());
        Assert.Equal("The database 'bogus' is not understood: -Database takes " + ServerLaunch.DatabaseForms + ".", e.Message);
        // What may be a connection string with a password is never echoed.
        Assert.DoesNotContain("s3cret", Assert.Throws<ArgumentException>(() => Launch("Server=db;Password=s3cret").DescribeDatabase()).Message);
    }

    [Fact]
    public void A_password_in_the_connection_string_moves_to_the_environment()
    {
        var launch = Launch("mysql:Server=db1;Port=3306;Database=orw_prov;User ID=prov;Password=s3cret!");
        var info = launch.StartInfo();
        Assert.DoesNotContain(info.ArgumentList, a => a.Contains("s3cret", StringComparison.Ordinal));
        Assert.Contains(info.ArgumentList, a => a.StartsWith("--Provisioning:Database=mysql:", StringComparison.Ordinal) && a.Contains("orw_prov", StringComparison.Ordinal));
        Assert.Equal("s3cret!", info.Environment[ServerLaunch.DatabasePasswordVariable]);
        Assert.DoesNotContain("s3cret", launch.DescribeDatabase());
    }

    [Fact]
    public void A_credential_sets_the_user_and_the_password()
    {
        var launch = Launch("mysql:Server=db1;Database=orw_prov;User ID=someone", "prov", "pw;with=odd".ToCharArray());
        var info = launch.StartInfo();
        string spec = info.ArgumentList.Single(a => a.StartsWith("--Provisioning:Database=", StringComparison.Ordinal));
        Assert.Contains("prov", spec);
        Assert.DoesNotContain("someone", spec);
        Assert.DoesNotContain("pw;with=odd", spec);
        Assert.Equal("pw;with=odd", info.Environment[ServerLaunch.DatabasePasswordVariable]);
    }

    [Fact]
    public void No_password_from_the_parents_environment_leaks_into_a_sqlite_server()
    {
        Environment.SetEnvironmentVariable(ServerLaunch.DatabasePasswordVariable, "inherited");
        try { Assert.False(Launch("sqlite").StartInfo().Environment.ContainsKey(ServerLaunch.DatabasePasswordVariable)); }
        finally { Environment.SetEnvironmentVariable(ServerLaunch.DatabasePasswordVariable, null); }
    }

    [Fact]
    public void Output_tail_keeps_the_last_lines()
    {
        var tail = new OutputTail(3);
        foreach (var line in new[] { "a", "", "b", "c", null, "d" }) tail.Add(line);
        Assert.Equal(new[] { "b", "c", "d" }, tail.Lines);
    }
}
