# Talks to a simulated eMCM the way a station does: Provisioning.Core's NodeClient on the line, and EmcmClient on top of
# it for the host messages (the module's own assemblies, as the stage flows use them).
$script:EmcmNone = [Threading.CancellationToken]::None

function Connect-TestEmcm([string] $Port, [string] $Wrapper = 'orw', [int] $BaudRate = 115200, [double] $ResponseSeconds = 0, [int] $Resends = 3) {
    $line = [Provisioning.Core.Transport.NodeTransport]::OpenAsync($Port, $BaudRate, $EmcmNone).GetAwaiter().GetResult()
    $wrapping = [Provisioning.Core.Wrappers.TransportWrappers]::Create($Wrapper)
    $nodeOptions = [Provisioning.Core.Node.NodeClientOptions]@{ FirstContactTimeout = [TimeSpan]::FromSeconds(2); ResponseTimeout = [TimeSpan]::FromSeconds(1) }
    if ($wrapping -is [Provisioning.Core.Wrappers.LinkWrapper]) {
        $session = $wrapping.OpenAsync($line, 'Station', [Provisioning.Core.Wrappers.LinkOptions]@{ BaudRate = $BaudRate }, $EmcmNone).GetAwaiter().GetResult()
        $nodeOptions = [Provisioning.Core.Node.NodeClientOptions]@{ FirstContactTimeout = [TimeSpan]::FromSeconds(2); ResponseTimeout = [TimeSpan]::FromSeconds(1) + $session.ExtraLatency }
        $node = [Provisioning.Core.Node.NodeClient]::new($session, $session.NodeWrapper, $nodeOptions)
    }
    else { $node = [Provisioning.Core.Node.NodeClient]::new($line, $wrapping, $nodeOptions) }
    $emcmOptions = [Provisioning.Core.Emcm.EmcmClientOptions]@{ Resends = $Resends }
    if ($ResponseSeconds) { $emcmOptions = [Provisioning.Core.Emcm.EmcmClientOptions]@{ Resends = $Resends; ResponseTimeout = [TimeSpan]::FromSeconds($ResponseSeconds) } }
    [pscustomobject]@{ Node = $node; Emcm = [Provisioning.Core.Emcm.EmcmClient]::new($node, $emcmOptions) }
}

function Close-TestEmcm($Station) {
    if (-not $Station) { return }
    $null = $Station.Emcm.DisposeAsync()
    $null = $Station.Node.DisposeAsync().AsTask().GetAwaiter().GetResult()
}

# Runs one eMCM call to its end: its result, or the EmcmException it failed with (unwrapped from the task).
function Invoke-TestEmcm([scriptblock] $Call) {
    try { (& $Call).GetAwaiter().GetResult() }
    catch {
        $e = $_.Exception
        while ($e -and $e -isnot [Provisioning.Core.Emcm.EmcmException]) { $e = $e.InnerException }
        if ($e) { throw $e }
        throw
    }
}

function Get-TestEmcmCode([scriptblock] $Call) {
    try { $null = Invoke-TestEmcm $Call; 0 }
    catch [Provisioning.Core.Emcm.EmcmException] { [int]$_.Exception.Code }
}

function New-TestEmcmKey { $k = [byte[]]::new(16); [Security.Cryptography.RandomNumberGenerator]::Fill($k); , $k }
