using System.Management.Automation;
using Provisioning.Core.Transport;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Creates two connected virtual serial ports (a socat pseudo-terminal pair), like a null-modem cable, for a station and a simulated node.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "ProvVirtualSerialPair", SupportsShouldProcess = true)]
[OutputType(typeof(VirtualSerialPair))]
public sealed class NewProvVirtualSerialPairCommand : ProvCmdlet
{
    /// <summary>Folder for the two port links.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Seconds to wait for socat.</summary>
    [Parameter]
    [ValidateRange(1, 300)]
    public int TimeoutSec { get; set; } = 10;

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        string folder = ResolvePath(Path ?? System.IO.Path.GetTempPath());
        if (!ShouldProcess(folder, "Create virtual serial pair (socat)")) return;
        try
        {
            WriteObject(Await(VirtualSerialPair.CreateAsync(folder, TimeSpan.FromSeconds(TimeoutSec), Cancellation)));
        }
        catch (PlatformNotSupportedException e) { Fail(e, "VirtualSerialPairUnsupported", ErrorCategory.NotImplemented, folder); }
        catch (InvalidOperationException e) { Fail(e, "SocatFailed", ErrorCategory.ResourceUnavailable, folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Fail(e, "PairFolderUnusable", ErrorCategory.WriteError, folder); }
    }
}
