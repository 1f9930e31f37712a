using System.Text.RegularExpressions;
using Provisioning.Core.Station;

namespace Provisioning.Core.Tests.Station;

public class StationTimeoutsTests
{
    [Theory]
    [InlineData("none", 115200, 2.0, 2.0, 3)]
    [InlineData("orw", 9600, 2.0, 2.0, 3)]
    [InlineData("My.Own.Wrapper", 19200, 2.0, 2.0, 3)]
    [InlineData("reliable", 115200, 3.0, 4.0, 2)]
    [InlineData("opt_psem", 9600, 8.0, 6.0, 2)]
    [InlineData("OPT_PSEM", 9600, 8.0, 6.0, 2)]
    [InlineData("orw", 1200, 16.0, 16.0, 3)]
    [InlineData("opt_psem", 2400, 32.0, 24.0, 2)]
    public void Defaults_follow_the_wrapper_and_grow_below_9600_baud(string wrapper, int baud, double first, double response, int resends)
    {
        var t = StationTimeouts.Default(baud, wrapper);
        Assert.Equal(TimeSpan.FromSeconds(first), t.FirstContact);
        Assert.Equal(TimeSpan.FromSeconds(response), t.Response);
        Assert.Equal(resends, t.Resends);
    }

    [Fact]
    public void A_request_s_own_values_win_over_the_defaults_one_by_one()
    {
        var request = new ProvisionRequest("COM3", 9600, 1, "opt_psem", false, false, false, false) { ResponseTimeout = TimeSpan.FromSeconds(1.5), Resends = 0 };
        var t = StationTimeouts.For(request);
        Assert.Equal(TimeSpan.FromSeconds(8), t.FirstContact);
        Assert.Equal(TimeSpan.FromSeconds(1.5), t.Response);
        Assert.Equal(0, t.Resends);
        var options = t.ApplyTo(new Core.Node.NodeClientOptions { MaxMessageSize = 256 });
        Assert.Equal((TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(1.5), 0, 256), (options.FirstContactTimeout, options.ResponseTimeout, options.Retries, options.MaxMessageSize));
    }

    [Theory]
    [InlineData(0.0, null, null, "-FirstContactTimeout 0 s is out of range")]
    [InlineData(null, 601.0, null, "-ResponseTimeout 601 s is out of range")]
    [InlineData(null, null, -1, "-Resends -1 is out of range")]
    [InlineData(null, null, 101, "give 0 to 100")]
    public void Bad_values_are_named(double? first, double? response, int? resends, string expected)
    {
        string? problem = StationTimeouts.Validate(first is { } f ? TimeSpan.FromSeconds(f) : null, response is { } r ? TimeSpan.FromSeconds(r) : null, resends,
            "-FirstContactTimeout", "-ResponseTimeout", "-Resends");
        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
        Assert.Null(StationTimeouts.Validate(TimeSpan.FromSeconds(0.1), TimeSpan.FromMinutes(10), 100));
    }
}

public class DeviceLogTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "prov-devicelog-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private ProvisionRequest Request(string port, string? logPath) => new(port, 115200, 7, "none", false, false, false, false) { LogPath = logPath };

    [Fact]
    public void Steps_are_logged_with_their_time_and_a_step_that_needed_resends_is_a_warning()
    {
        var entries = new List<StationLogEntry>();
        var log = DeviceLog.Open(Request("/dev/ttyUSB0", Path.Combine(_folder, "line1.log")), entries.Add)!;
        log.Step(ProvisionStep.FetchingConfig, "Fetching config 69", null);
        log.Step(ProvisionStep.Connecting, "Opening /dev/ttyUSB0", null);
        log.Step(ProvisionStep.Firmware, "Writing firmware 2.0", (0, 0, 0));
        log.Step(ProvisionStep.Firmware, "Writing firmware 2.0: 4,096 of 65,536 bytes", (1, 1, 0)); // same step: nothing new
        log.Step(ProvisionStep.WritingKeys, "Writing keys", (2, 3, 1));
        log.Finish(new NodeProvisionResult("/dev/ttyUSB0", 0x3401, 69, 7, true, ProvExitCode.Success, "Successful operation: done.", TimeSpan.FromSeconds(1.25)), (2, 3, 1));

        var lines = File.ReadAllLines(log.FilePath!);
        Assert.Equal(entries.Count, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |CRIT ) /dev/ttyUSB0  ", l));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"DEBUG /dev/ttyUSB0  FetchingConfig took \d+\.\d{3} s$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"WARN  /dev/ttyUSB0  Firmware took \d+\.\d{3} s with 3 messages sent again, 2 damaged frames, 1 chunks lost$"));
        Assert.Contains(lines, l => l.EndsWith("INFO  /dev/ttyUSB0  Result 0 (Success), node 0x00003401, 1.250 s; link: 3 resends, 2 damaged frames, 1 chunks lost: Successful operation: done.", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("4,096", StringComparison.Ordinal));
    }

    [Fact]
    public void A_folder_gets_one_file_per_device_named_by_time_and_port_and_a_failure_is_critical()
    {
        var folder = _folder + Path.DirectorySeparatorChar;
        var first = DeviceLog.Open(Request("tcp://10.0.0.21:4001", folder), null)!;
        var second = DeviceLog.Open(Request("COM3", folder), null)!;
        first.Finish(new NodeProvisionResult("tcp://10.0.0.21:4001", null, 69, 7, false, ProvExitCode.NoDevice, "Unable to communicate with device under test: no answer.", TimeSpan.Zero), null);
        second.Write(StationLogLevel.Debug, "hello");
        Assert.NotEqual(first.FilePath, second.FilePath);
        Assert.Matches(@"\d{8}-\d{6}-\d{3}-tcp___10\.0\.0\.21_4001\.log$", first.FilePath);
        Assert.EndsWith("-COM3.log", second.FilePath, StringComparison.Ordinal);
        Assert.Contains("CRIT  tcp://10.0.0.21:4001  Result 4 (NoDevice), no node", File.ReadAllText(first.FilePath!), StringComparison.Ordinal);
    }

    [Fact]
    public void No_file_and_no_sink_is_no_log_and_an_unwritable_file_is_said_once_without_failing()
    {
        Assert.Null(DeviceLog.Open(Request("COM3", null), null));
        Directory.CreateDirectory(_folder);
        string blocked = Path.Combine(_folder, "blocked");
        File.WriteAllText(blocked, "a file where a folder should be");
        var entries = new List<StationLogEntry>();
        var log = DeviceLog.Open(Request("COM3", Path.Combine(blocked, "device.log")), entries.Add)!;
        log.Write(StationLogLevel.Debug, "one");
        log.Write(StationLogLevel.Debug, "two");
        Assert.Single(entries, e => e.Level == StationLogLevel.Warning && e.Message.Contains("cannot be written", StringComparison.Ordinal));
        Assert.Equal(3, entries.Count);
    }
}
