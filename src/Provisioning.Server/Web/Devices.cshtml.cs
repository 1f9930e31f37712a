using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Provisioning.Core.Api;
using Provisioning.Server.Endpoints;
using Provisioning.Server.Store;

namespace Provisioning.Server.Web;

/// <summary><c>/provisioning/devices</c>: search by node ID; the current record and the history, no key material.</summary>
public sealed class DevicesModel(IProvStore store) : PageModel
{
    /// <summary>Unresolved nodes listed below the search.</summary>
    public const int UnresolvedShown = 50;

    [BindProperty(SupportsGet = true)] public string? Node { get; set; }

    public DeviceHistory? Device { get; private set; }
    public IReadOnlyList<DeviceHistory> Unresolved { get; private set; } = [];
    public string? Problem { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (Node?.Trim() is { Length: > 0 } text)
        {
            Node = text;
            if (!RouteIds.TryParseNodeId(text, out uint nodeId))
                Problem = RouteIds.NotANodeId(text);
            else if ((Device = await store.GetDeviceAsync(nodeId, ct)) is null)
                Problem = $"Node 0x{nodeId:X8} has never been provisioned on this server.";
        }
        Unresolved = await store.ListDevicesAsync(unresolvedOnly: true, after: null, UnresolvedShown, ct);
    }
}
