# Every default table view (module/Provisioning.Format.ps1xml, read when the tests run) reads well in a console of
# 80 columns: its header on one line with every column there (none dropped or squeezed under its label), and no line
# wider than the console. Rendered from real objects of a real session.
BeforeDiscovery {
    $root = Split-Path (Split-Path $PSScriptRoot)
    $seen = @{}
    $script:views = @(
        foreach ($view in ([xml](Get-Content "$root/module/Provisioning.Format.ps1xml" -Raw)).Configuration.ViewDefinitions.View) {
            $type = $view.ViewSelectedBy.TypeName
            if ($seen[$type]) { continue }   # the first view of a type is its default
            $seen[$type] = $true
            if (-not $view.TableControl) { continue }
            $headers = @($view.TableControl.TableHeaders.TableColumnHeader)
            $items = @($view.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem)
            $labels = for ($i = 0; $i -lt $headers.Count; $i++) {
                $label = if ($headers[$i] -is [System.Xml.XmlElement]) { $headers[$i].Label }
                if ($label) { $label } else { $items[$i].PropertyName }
            }
            @{ Name = $view.Name; Type = $type; Labels = @($labels) }
        }
    )
}

BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/server"
    $pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $script:imported = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase -Comment 'Import Demo.'
    $script:token = New-ProvStationToken -Name 'line 1 port 3'
    $station = Connect-ProvServer -Uri $server.Uri -Token $token.Token -PassThru
    $script:sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId 0x10 -NodeType UNODE
    $script:results = @(
        Invoke-NodeProvision -Port $sim.Endpoint -ConfigId 69 -Batch 1000 -Server $station
        Invoke-NodeProvision -Port "tcp://127.0.0.1:$(Get-FreeTcpPort)" -ConfigId 69 -Batch 1000 -Server $station -ErrorAction SilentlyContinue
    )
    $script:export = Export-ProvKey -ConfigId 69 -Batch 1000 -Path "$TestDrive/device_keys.xml" -Server $server
    $script:socat = [bool](Get-Command socat -ErrorAction Ignore)
    # One way to get real objects of each type a view shows.
    $script:samples = @{
        'Provisioning.Core.Packaging.VerifiedFile'     = { (Test-ProvPackage $pkg.Path).Files }
        'Provisioning.Core.Packaging.PackageFileEntry' = { $in = $pkg.Input; (New-ProvPackage @in -Path "$TestDrive/again.tar.gz").Files }
        'Provisioning.PowerShell.ProvStationToken'     = { $token; Get-ProvStationToken -Server $server }
        'Provisioning.PowerShell.ProvUser'             = { New-ProvUser -Name 'op.sample' -Role Exporter -Server $server; Get-ProvUser -Server $server }
        'Provisioning.Core.Api.AuditEntry'             = { Get-ProvAuditLog -Server $server }
        'Provisioning.PowerShell.ProvStationCertificate' = { New-ProvStationCertificate -Name 'line 1 port 3' -Path "$TestDrive/line1.pfx" -Password (ConvertTo-TestSecret 'pfx') -Server $server; Get-ProvStationCertificate -Server $server }
        'Provisioning.Core.Api.PackageSummary'         = { Get-ProvPackage -Server $server }
        'Provisioning.PackageRevision'                 = { Get-ProvPackage -History -Server $server }
        'Provisioning.PowerShell.ProvDevice'           = { Get-ProvDevice -Server $server }
        'Provisioning.PowerShell.ProvDeviceRecord'     = { (Get-ProvDevice -Server $server).History }
        'Provisioning.ImportedPackage'                 = { $imported }
        'Provisioning.Core.Api.FileLink'               = { (Get-ProvConfig 69 -Server $server).Node.Firmware }
        'Provisioning.PowerShell.ProvKeyExport'        = { $export }
        'Provisioning.PowerShell.ProvBackup'           = { Backup-ProvServer -Path "$TestDrive/sample.provbak" -Passphrase (ConvertTo-TestSecret 'backup') -Server $server }
        'Provisioning.PowerShell.ProvRestore'          = { $null = Backup-ProvServer -Path "$TestDrive/sample2.provbak" -Passphrase (ConvertTo-TestSecret 'backup') -Server $server; Restore-ProvServer -Path "$TestDrive/sample2.provbak" -DataPath "$TestDrive/restored" -Passphrase (ConvertTo-TestSecret 'backup') }
        'Provisioning.Core.Station.NodeProvisionResult' = { $results }
        'Provisioning.Core.Emcm.EmcmProvisionResult'   = {
            Invoke-EmcmProvision -Port "tcp://127.0.0.1:$(Get-FreeTcpPort)" -ConfigId 69 -Batch 1000 -Server $server -ErrorAction SilentlyContinue
            Invoke-EmcmFactoryStage -Stage PostTest -Port 'tcp://127.0.0.1:1' -ConfigId 69 -Batch 1000 -PartialMcmId 'zz' -Server $server -ErrorAction SilentlyContinue
        }
        'Provisioning.PowerShell.ProvDeviceKey'        = { Read-ProvKeyFile "$TestDrive/device_keys.xml" -KmsPrivateKeyPath $pkg.Network.Kms.PrivateKeyPath }
        'Provisioning.Core.Node.Simulator.NodeSimulator' = { $sim }
        'Provisioning.Core.Gateway.Simulator.GatewaySimulator' = { $script:gateway = Start-ProvGatewaySimulator -ControlPort 0; $gateway }
        'Provisioning.Core.Gateway.GatewayNodeStatus'  = { $g = Start-ProvGatewaySimulator -ControlPort 0; try { $g.GetNodeStatus(0x10) } finally { $g | Stop-ProvGatewaySimulator } }
        'Provisioning.Core.Emcm.Simulator.EmcmSimulator' = { $script:emcm = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -Wrapper opt_psem -NodeId 0x11; $emcm }
        'Provisioning.Core.Transport.VirtualSerialPair' = { if ($socat) { $script:pair = New-ProvVirtualSerialPair -Path "$TestDrive/ports"; $pair } }
    }
}
AfterAll {
    if ($pair) { $pair | Remove-ProvVirtualSerialPair }
    $sim | Stop-ProvNodeSimulator
    if ($gateway) { $gateway | Stop-ProvGatewaySimulator }
    if ($emcm) { $emcm | Stop-ProvNodeSimulator }
    Stop-TestServer $server
}

Describe 'Default table views at 80 columns' {
    It '<Name> keeps its header on one line with every column, and fits' -ForEach $views {
        $make = $samples[$Type]
        if (-not $make) { Set-ItResult -Skipped -Because "no sample object of $Type yet: add one to `$samples"; return }
        $objects = @(& $make)
        if (-not $objects) { Set-ItResult -Skipped -Because "no $Type here (socat missing?)"; return }
        $lines = @(($objects | Format-Table | Out-String -Width 80) -split '\r?\n' | Where-Object { $_.Trim() })
        $lines[1] | Should -Match '^[\s-]+$' -Because "the header is one line:`n$($lines -join "`n")"
        $pattern = ($Labels | ForEach-Object { [regex]::Escape($_) }) -join '\s+'
        $lines[0] | Should -Match $pattern -Because "every column keeps its label:`n$($lines -join "`n")"
        foreach ($line in $lines) { $line.Length | Should -BeLessOrEqual 80 -Because "no line is wider than the console:`n$($lines -join "`n")" }
    }
}
