# Shared set-up for the eMCM station suites (Invoke-EmcmProvision, Invoke-EmcmFactoryStage): packages whose eMCM app
# bundle carries firmware, both configurations and the head end's public key, meters (node + eMCM simulators), and the
# export decrypted as the KMS and the head end would.
. "$PSScriptRoot/ServerTestHelpers.ps1"

# A text configuration naming the factory network (the ASCII line network_id=<id>), the rest opaque.
function New-TestFactoryConfig([string] $Path, [string] $NetworkId = 'factory') {
    New-Item -ItemType Directory -Force (Split-Path $Path) | Out-Null
    $filler = -join (1..300 | ForEach-Object { [char](97 + ($_ * 7 + $Path.Length) % 26) })
    [IO.File]::WriteAllText($Path, "network_id=$NetworkId`nchannel=17`n$filler`n")
    $Path
}

# A package for an eMCM meter line: node firmware 1.2.3.4, node field and factory configs (the factory one names
# -NetworkId), and an app bundle 'emcm' 5.6.7.8 with firmware, field and factory configs and the head end's public key.
# -Without leaves out parts of the bundle ('App', 'Firmware', 'FieldConfig', 'FactoryConfig', 'PublicKey').
function New-EmcmTestPackage {
    param([Parameter(Mandatory)] [string] $Root, [string] $ConfigId = '69', [string[]] $ConfigAlias = @('kite_170', 'meter_69'),
          $Network, [string] $NetworkId = 'factory', [string[]] $Without = @(), [string] $AppVersion = '5.6.7.8')
    if (-not $Network) { $Network = New-TestNetwork -Root (Join-Path $Root 'net') }
    $in = New-TestPackageInput -Root (Join-Path $Root "in-$ConfigId-$([guid]::NewGuid().ToString('N').Substring(0, 6))") -Network $Network
    $in.ConfigId = $ConfigId
    $in.ConfigAlias = $ConfigAlias
    $in.NodeFactoryConfig = New-TestFactoryConfig (Join-Path $Root "cfg-$ConfigId/node_factory.cfg") $NetworkId
    $hes = New-ProvKmsKeyPair -Path (Join-Path $Root "hes-$ConfigId-$([guid]::NewGuid().ToString('N').Substring(0, 6))") -KeySize 2048
    $app = @{ Name = 'emcm'; Version = $AppVersion
              Firmware = New-TestFile (Join-Path $Root "fw-$ConfigId/emcm.bin") 20000
              FieldConfig = New-TestFile (Join-Path $Root "cfg-$ConfigId/emcm_field.cfg") 300
              FactoryConfig = New-TestFactoryConfig (Join-Path $Root "cfg-$ConfigId/emcm_factory.cfg") $NetworkId
              PublicKeyFile = $hes.PublicKeyPath }
    foreach ($part in $Without) { if ($part -eq 'PublicKey') { $app.Remove('PublicKeyFile') } elseif ($part -ne 'App') { $app.Remove($part) } }
    $in.App = if ('App' -in $Without) { @() } else { @($app) }
    $package = New-ProvPackage @in -Path (Join-Path $Root "config-$ConfigId-$([guid]::NewGuid().ToString('N').Substring(0, 6)).tar.gz")
    [pscustomobject]@{ Path = $package.Path; Network = $Network; Passphrase = ConvertTo-TestSecret $Network.Passphrase; Input = $in; HeadEnd = $hes }
}

# Runs an eMCM cmdlet and returns its results, the errors it wrote and how long it took.
function Invoke-TestEmcmStation {
    param([Parameter(Mandatory)] [string] $Command, [hashtable] $With = @{}, [Parameter(ValueFromPipeline)] $InputObject)
    begin { $items = [System.Collections.Generic.List[object]]::new() }
    process { if ($null -ne $InputObject) { $items.Add($InputObject) } }
    end {
        $errors = $null
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $results = if ($items.Count) { $items | & $Command @With -ErrorVariable errors -ErrorAction SilentlyContinue }
                   else { & $Command @With -ErrorVariable errors -ErrorAction SilentlyContinue }
        [pscustomobject]@{ Results = @($results); Errors = @($errors); Elapsed = $clock.Elapsed }
    }
}

# The export of a batch as the KMS and the head end read it: per node its root key (KMS private key) and, per app, the
# app's ID and key (head end's private key), as hex.
function Read-TestEmcmExport {
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] $Package, [Parameter(Mandatory)] [string] $ConfigId,
          [Parameter(Mandatory)] [uint32] $Batch, [Parameter(Mandatory)] [string] $Path, [switch] $IncludePending)
    $null = Export-ProvKey -ConfigId $ConfigId -Batch $Batch -Path $Path -Server $Server -IncludePending:$IncludePending -WarningAction SilentlyContinue
    $roots = @{}
    foreach ($k in Read-ProvKeyFile $Path -KmsPrivateKeyPath $Package.Network.Kms.PrivateKeyPath -AsPlainBytes) {
        $roots[[uint32]$k.NodeId] = [Convert]::ToHexString($k.RootKeyBytes)
    }
    $rsa = [System.Security.Cryptography.RSA]::Create()
    $rsa.ImportFromPem((Get-Content $Package.HeadEnd.PrivateKeyPath -Raw))
    try {
        $xml = [xml](Get-Content $Path -Raw)
        foreach ($device in $xml.SelectNodes("//*[local-name()='device']")) {
            $nodeId = [uint32]$device.GetAttribute('nodeId')   # 0x-prefixed hex
            $apps = @{}
            foreach ($app in $device.SelectNodes("*[local-name()='app']")) {
                $key = [Provisioning.Core.Crypto.AppKeyEncryption]::Decrypt($rsa, $app.GetAttribute('key'))
                $apps[$app.GetAttribute('name')] = [pscustomobject]@{ Id = $app.GetAttribute('id'); KeyHex = [Convert]::ToHexString($key) }
            }
            [pscustomobject]@{ NodeId = $nodeId; RootKeyHex = $roots[$nodeId]; Apps = $apps }
        }
    }
    finally { $rsa.Dispose() }
}

# Waits for a condition with a deadline (no sleeps as synchronisation).
function Wait-TestCondition([scriptblock] $Condition, [int] $TimeoutSeconds = 30, [string] $Because = 'the condition') {
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out after $TimeoutSeconds s waiting for $Because." }
        Start-Sleep -Milliseconds 50
    }
}
