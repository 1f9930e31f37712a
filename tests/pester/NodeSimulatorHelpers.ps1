# Talks to a simulated node the way a station does: through Provisioning.Core's NodeClient (the module's own assembly).
function Connect-TestNode([string] $Port, [string] $Wrapper = 'none') {
    $transport = [Provisioning.Core.Transport.NodeTransport]::OpenAsync($Port, 115200, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
    $options = [Provisioning.Core.Node.NodeClientOptions]@{ FirstContactTimeout = [TimeSpan]::FromSeconds(1); ResponseTimeout = [TimeSpan]::FromMilliseconds(700) }
    [Provisioning.Core.Node.NodeClient]::new($transport, [Provisioning.Core.Wrappers.TransportWrappers]::Create($Wrapper), $options)
}
function Get-TestNodeInfo($Client) { $Client.GetInfoAsync([Threading.CancellationToken]::None).GetAwaiter().GetResult() }
function Write-TestFirmware($Client, [byte[]] $Image, [string] $Version) {
    $null = $Client.WriteImageAsync('Firmware', $Image, $Version, $null, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
}
function Close-TestNode($Client) { $null = $Client.DisposeAsync().AsTask().GetAwaiter().GetResult() }
function New-TestImage([int] $Length) { $b = [byte[]]::new($Length); [Random]::new($Length).NextBytes($b); , $b }
function Test-SocatInstalled { [bool](Get-Command socat -ErrorAction Ignore) }
