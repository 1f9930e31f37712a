#!/usr/bin/env pwsh
<#
.SYNOPSIS
    A complete host provisioning tool (guide Appendix C): for each device, the station provisions the node
    (Invoke-NodeProvision) and the tool provisions the host beside it with the host cmdlets: the configuration's
    files fetched and checked (Get-ProvConfig -Destination), the host's firmware and configuration programmed when
    its version differs, a fresh host key encrypted for the app bundle's public key (Protect-ProvAppKey) and saved on
    the server as pending before it reaches the host (Set-ProvDeviceRecord -Pending), written, read back, then
    confirmed (Confirm-ProvDeviceRecord). The admin exports the keys; the KMS decrypts the node root keys and the
    head end the host keys (Read-ProvKeyFile -AppName), both checked against what the devices hold.
.DESCRIPTION
    The hosts are simulated: each is a folder standing for its flash (firmware and configuration files written into it)
    and a key slot held in memory, as a real host keeps its key in its own secure storage. Replace the SimulatedHost class
    with your host's programming interface (a JTAG probe, a boot loader over serial, ...).

    Everything runs in a temporary folder that is removed at the end (keep it with -KeepFiles): a KMS key pair, the head
    end's key pair, a package for config 70 with an emcm bundle, a server on SQLite, simulated nodes on TCP.
    One device (-WithoutNodeId) shows a host whose node ID the tool does not know (the guide allows None).
.EXAMPLE
    dotnet pwsh ./examples/HostTool.ps1 -Devices 3 -KeepFiles
#>
param(
    [ValidateRange(1, 32)] [int] $Devices = 3,
    [switch] $KeepFiles,
    # Also provision one host alone, without its node ID.
    [switch] $WithoutNodeId = $true
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module "$PSScriptRoot/../Provisioning.psd1" -Force

# A host processor as this tool sees it: its flash (a folder) and its key slot (memory). It reports the version it runs and
# the check value of the key it holds, as a real host's boot loader would; it never gives its key back.
class SimulatedHost {
    [string] $Id
    [string] $Flash
    [string] $FirmwareVersion = '0.0.0'
    hidden [byte[]] $KeySlot
    SimulatedHost([string] $id, [string] $flash) { $this.Id = $id; $this.Flash = $flash; New-Item -ItemType Directory -Force $flash | Out-Null }
    [void] WriteFirmware([string] $path, [string] $version) { Copy-Item $path (Join-Path $this.Flash 'firmware.bin'); $this.FirmwareVersion = $version }
    [void] WriteConfig([string] $path) { Copy-Item $path (Join-Path $this.Flash 'config.cfg') }
    [void] WriteKey([byte[]] $key) { $this.KeySlot = [byte[]]$key.Clone() }
    [string] KeyCheckValue() {
        if ($null -eq $this.KeySlot) { return $null }
        $aes = [System.Security.Cryptography.Aes]::Create()
        try { $aes.Key = $this.KeySlot; return [Convert]::ToHexString($aes.EncryptEcb([byte[]]::new(16), 'None'), 0, 3) } finally { $aes.Dispose() }
    }
}

# The key check value the tool compares with the host's (AES-ECB of a zero block, first 3 bytes), computed from its own copy.
function Get-KeyCheckValue([byte[]] $Key) {
    $aes = [System.Security.Cryptography.Aes]::Create()
    try { $aes.Key = $Key; [Convert]::ToHexString($aes.EncryptEcb([byte[]]::new(16), 'None'), 0, 3) } finally { $aes.Dispose() }
}

# The host half of one device, in the order key custody needs: the key is on the server before it is on the host.
function Invoke-HostProvision {
    param([Parameter(Mandatory)] $Files, [Parameter(Mandatory)] [SimulatedHost] $HostDevice, [Nullable[uint32]] $NodeId, [string] $Batch,
          [Parameter(Mandatory)] $Server)
    $emcm = $Files.App('emcm')
    if ($HostDevice.FirmwareVersion -ne $emcm.Version) { $HostDevice.WriteFirmware($emcm.FirmwarePath, $emcm.Version) }
    $HostDevice.WriteConfig($emcm.FieldConfigPath)
    $key = [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(16)
    try {
        $encrypted = Protect-ProvAppKey -Key $key -AppName emcm -Config $Files
        $record = @{ Config = $Files; Batch = $Batch; App = @{ Name = 'emcm'; Id = $HostDevice.Id; Key = $encrypted }; Pending = $true; Server = $Server }
        if ($null -ne $NodeId) { $record.NodeId = $NodeId }
        $pending = Set-ProvDeviceRecord @record
        $HostDevice.WriteKey($key)
        if ($HostDevice.KeyCheckValue() -ne (Get-KeyCheckValue $key)) { throw "Host $($HostDevice.Id) does not hold the key written to it; its record stays pending." }
        $pending | Confirm-ProvDeviceRecord -Server $Server
    }
    finally { [Array]::Clear($key) }
}

$work = Join-Path ([System.IO.Path]::GetTempPath()) "provisioning-hosttool-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
New-Item -ItemType Directory $work | Out-Null
function Step([string] $Text) { Write-Host "`n== $Text" -ForegroundColor Cyan }
$server = $null; $nodes = [System.Collections.Generic.List[object]]::new()
try {
    $pass = ConvertTo-SecureString 'host tool demo passphrase - not for production' -AsPlainText -Force

    Step 'KMS, head end and packaging: key pairs and a package for config 70 with an emcm bundle'
    $kms = New-ProvKmsKeyPair -Path "$work/kms" -KeySize 2048
    $hes = New-ProvKmsKeyPair -Path "$work/hes" -KeySize 2048      # the head end's pair; its public key goes into the package
    $gw = New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$work/network" -Iterations 10000
    $random = [System.Random]::new(70)
    foreach ($f in @{ 'node.bin' = 64KB; 'field.cfg' = 1KB; 'emcm.bin' = 32KB; 'emcm.cfg' = 1KB }.GetEnumerator()) {
        $bytes = [byte[]]::new($f.Value); $random.NextBytes($bytes); [IO.File]::WriteAllBytes("$work/$($f.Key)", $bytes)
    }
    $package = New-ProvPackage -Path "$work/emcm_70.tar.gz" -ConfigId 70 -ConfigAlias emcm_70 -AppLabel ge_i210_emcm -NodeType UNODE -NodeVersion 1.2.3.4 `
        -NodeFirmware "$work/node.bin" -NodeFieldConfig "$work/field.cfg" -KmsPublicKeyFile $kms.PublicKeyPath -GatewayKeyFile $gw.Path `
        -App @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = "$work/emcm.bin"; FieldConfig = "$work/emcm.cfg"; PublicKeyFile = $hes.PublicKeyPath }

    Step 'Admin: a server on SQLite with the package, and a token for the line'
    $port = & { $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $l.Start(); try { $l.LocalEndpoint.Port } finally { $l.Stop() } }
    $server = Start-ProvServer -DataPath "$work/server" -Port $port
    $null = Import-ProvPackage $package.Path -Passphrase $pass -Server $server
    $token = New-ProvStationToken -Name 'host line 1' -Server $server
    $line = Connect-ProvServer -Uri $server.Uri -Token $token.Token -PassThru

    Step "Host tool: fetch and check every file of config 70 once for the run"
    $files = Get-ProvConfig -ConfigAlias emcm_70 -Destination "$work/host-files" -Server $line
    $files | Format-List | Out-String -Width 200 | Write-Host

    Step "Line: $Devices devices, each a node (station) and its host (this tool)"
    $hosts = @{}
    for ($i = 0; $i -lt $Devices; $i++) {
        $nodeId = [uint32](0x7000 + $i)
        $node = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId $nodeId
        $nodes.Add($node)
        $hostDevice = [SimulatedHost]::new(('00A1B2C3D4E5{0:X4}' -f $i), "$work/hosts/$i")
        $hosts[$hostDevice.Id] = $hostDevice
        $result = Invoke-NodeProvision -Port $node.Endpoint -ConfigId 70 -Batch 1000 -Server $line
        if (-not $result.Succeeded) { throw "Node 0x$('{0:X8}' -f $nodeId): $($result.Message)" }
        # The station's result names the node; the host record carries that ID so the head end can pair them.
        $record = Invoke-HostProvision -Files $files -HostDevice $hostDevice -NodeId $result.NodeId -Batch 1000 -Server $line
        Write-Host ("node 0x{0:X8} code {1}; host {2} firmware {3}, key {4} ({5})" -f $result.NodeId, $result.Code, $hostDevice.Id, $hostDevice.FirmwareVersion,
            $hostDevice.KeyCheckValue(), $record.Status)
    }
    if ($WithoutNodeId) {
        $alone = [SimulatedHost]::new('00A1B2C3D4E5FFFF', "$work/hosts/alone")
        $hosts[$alone.Id] = $alone
        $record = Invoke-HostProvision -Files $files -HostDevice $alone -Batch 1000 -Server $line
        Write-Host "host $($alone.Id) without node ID: key $($alone.KeyCheckValue()) ($($record.Status))"
    }
    Get-ProvDevice -HostRecord -ConfigId 70 -Server $server | Format-Table | Out-String -Width 200 | Write-Host

    Step 'Admin: key export for config 70'
    $receipt = Export-ProvKey -ConfigId 70 -Path "$work/device_keys.xml" -Server $server
    $receipt | Format-List | Out-String -Width 200 | Write-Host

    Step 'KMS: root keys; head end: eMCM keys; each checked against what the devices hold'
    $rootKeys = @(Read-ProvKeyFile "$work/device_keys.xml" -KmsPrivateKeyFile $kms.PrivateKeyPath)
    foreach ($k in $rootKeys) {
        $held = ($nodes | Where-Object { $_.Options.NodeId -eq $k.NodeId }).ReadKey('Root')
        if ($k.KeyCheckValue -ne (Get-KeyCheckValue $held)) { throw "Node 0x$('{0:X8}' -f $k.NodeId): the exported root key is not the one it holds." }
    }
    $appKeys = @(Read-ProvKeyFile "$work/device_keys.xml" -AppName emcm -PrivateKeyPath $hes.PrivateKeyPath)
    $appKeys | Format-Table | Out-String -Width 200 | Write-Host
    foreach ($k in $appKeys) {
        if ($k.KeyCheckValue -ne $hosts[$k.AppId].KeyCheckValue()) { throw "Host $($k.AppId): the exported eMCM key is not the one it holds." }
    }
    if ($rootKeys.Count -ne $Devices -or $appKeys.Count -ne $hosts.Count) {
        throw "The export holds $($rootKeys.Count) root keys and $($appKeys.Count) eMCM keys; expected $Devices and $($hosts.Count)."
    }
    Write-Host "`nHost tool: $Devices node root keys and $($hosts.Count) eMCM keys exported and decrypted, each equal to what its device holds." -ForegroundColor Green
}
finally {
    $nodes | Stop-ProvNodeSimulator -ErrorAction Ignore
    if ($server) { $server | Stop-ProvServer -ErrorAction Ignore }
    if ($KeepFiles) { Write-Host "Files kept in $work" } else { Remove-Item $work -Recurse -Force -ErrorAction Ignore }
}
