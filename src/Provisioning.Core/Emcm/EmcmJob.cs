using System.Globalization;
using Provisioning.Core.Node;
using Provisioning.Core.Station;

namespace Provisioning.Core.Emcm;

/// <summary>What is known about one meter (node and eMCM) while an eMCM flow runs.</summary>
internal sealed class EmcmJob(EmcmRequest request, string operation, IProgress<ProvisionProgress>? progress) : StationJob(request.Line, progress)
{
    private readonly List<string> _done = new();

    public new EmcmRequest Request { get; } = request;
    public string Operation { get; } = operation;
    public string? EmcmId { get; set; }
    public bool NodeFirmwareUpdated { get; set; }
    public bool EmcmFirmwareUpdated { get; set; }

    /// <summary>The eMCM image being written, if any (a failure names how far it got).</summary>
    public EmcmImageTarget? EmcmImage { get; set; }

    /// <summary>Notes what a step did, for the result's summary.</summary>
    public void Did(string what) => _done.Add(what);

    public override string Position() => EmcmImage is null
        ? base.Position()
        : $" at {ImageConfirmed.ToString(CultureInfo.InvariantCulture)} of {ImageSize.ToString(CultureInfo.InvariantCulture)} bytes";

    /// <summary>The devices reached, for the log's last line.</summary>
    public string Device() => $"{(NodeId is { } n ? $"node 0x{n:X8}" : "no node")}, {(EmcmId is { } e ? $"eMCM {e}" : "no eMCM")}";

    public string Summary()
    {
        var parts = new List<string>();
        if (Operation is "Provision" or nameof(EmcmFactoryStage.PreTest))
        {
            parts.Add(NodeFirmwareUpdated ? "node firmware written" : "node firmware already current");
            parts.Add(EmcmFirmwareUpdated ? "eMCM firmware written" : "eMCM firmware already current");
        }
        parts.AddRange(_done);
        return $"{OperationName(Operation)} passed for node 0x{NodeId:X8} and eMCM {EmcmId} with config {ConfigId}: {string.Join("; ", parts)}.";
    }

    public EmcmProvisionResult Result(ProvExitCode code, string detail)
        => new(Request.Line.Port, Operation, NodeId, EmcmId, ConfigId, Request.Line.Batch, NodeFirmwareUpdated, EmcmFirmwareUpdated, code,
            $"{ProvExitCodes.Interpretation(code)}: {detail}", Elapsed);

    /// <summary>The guide's name of an operation: single-stage provisioning, or PRETEST, CHECKCONFIG, POSTTEST.</summary>
    public static string OperationName(string operation) => operation == "Provision" ? "Single-stage provisioning" : operation.ToUpperInvariant();
}

/// <summary>An open line to a meter: the node and eMCM links, and what each reported when the flow began.</summary>
internal sealed class EmcmDevice(StationLine line, NodeInfo nodeInfo, EmcmClient emcm, EmcmInfo emcmInfo) : IAsyncDisposable
{
    public StationLine Line { get; } = line;
    public NodeClient Node => Line.Node;
    public NodeInfo NodeInfo { get; } = nodeInfo;
    public EmcmClient Emcm { get; } = emcm;
    public EmcmInfo EmcmInfo { get; } = emcmInfo;

    public async ValueTask DisposeAsync()
    {
        await Emcm.DisposeAsync().ConfigureAwait(false);
        await Line.DisposeAsync().ConfigureAwait(false);
    }
}
