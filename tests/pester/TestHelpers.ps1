# Shared set-up for the Pester files: imports the built module the way a user does and makes test material.
$script:RepoRoot = (Resolve-Path "$PSScriptRoot/../..").Path
Import-Module "$script:RepoRoot/Provisioning.psd1" -Force

function ConvertTo-TestSecret([string] $Text) { ConvertTo-SecureString $Text -AsPlainText -Force }

# A KMS key pair and a gateway key file with known keys, made through the cmdlets.
function New-TestNetwork {
    param([string] $Root, [string] $Passphrase = 'correct horse battery staple',
          [string] $GatewayKeyHex = '00112233445566778899aabbccddeeff', [string] $CdldKeyHex = 'f0e1d2c3b4a5968778695a4b3c2d1e0f')
    $kms = New-ProvKmsKeyPair -Path (Join-Path $Root 'kms') -KeySize 2048
    $gw = New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase (ConvertTo-TestSecret $Passphrase) `
        -GatewayKey (ConvertTo-TestSecret $GatewayKeyHex) -CdldKey (ConvertTo-TestSecret $CdldKeyHex) `
        -Path (Join-Path $Root 'network') -Iterations 10000
    [pscustomobject]@{ Kms = $kms; GatewayKeyFile = $gw; Passphrase = $Passphrase; GatewayKeyHex = $GatewayKeyHex; CdldKeyHex = $CdldKeyHex }
}

function New-TestFile([string] $Path, [int] $Length = 4096) {
    New-Item -ItemType Directory -Force (Split-Path $Path) | Out-Null
    $bytes = [byte[]]::new($Length)
    [System.Random]::new($Length + $Path.Length).NextBytes($bytes)
    [System.IO.File]::WriteAllBytes($Path, $bytes)
    $Path
}

# Firmware and configuration files for a package, including two application bundles.
function New-TestPackageInput {
    param([string] $Root, $Network)
    $hes = New-ProvKmsKeyPair -Path (Join-Path $Root 'hes') -KeySize 2048
    @{
        ConfigId         = '69'
        ConfigAlias      = @('kite_170', 'meter_69')
        AppLabel         = 'ge_sgm3000_falconv1_zigbeev2'
        NodeType         = 'UNODE'
        NodeVersion      = '1.2.3.4'
        NodeFirmware     = New-TestFile (Join-Path $Root 'fw/node.bin') 65536
        NodeFieldConfig  = New-TestFile (Join-Path $Root 'cfg/field.cfg') 512
        NodeFactoryConfig = New-TestFile (Join-Path $Root 'cfg/factory.cfg') 512
        KmsPublicKeyFile = $Network.Kms.PublicKeyPath
        GatewayKeyFile   = $Network.GatewayKeyFile.Path
        App              = @(
            @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = (New-TestFile (Join-Path $Root 'fw/emcm.bin') 20000)
               FieldConfig = (New-TestFile (Join-Path $Root 'cfg/emcm_field.cfg') 300); FactoryConfig = (New-TestFile (Join-Path $Root 'cfg/emcm_factory.cfg') 300)
               PublicKeyFile = $hes.PublicKeyPath }
            @{ Name = 'zigbee'; Version = '1.2.3.4'; Firmware = (New-TestFile (Join-Path $Root 'fw/zigbee.bin') 10000) }
        )
    }
}

# Unpacks a package with GNU tar into a new folder and returns the folder.
function Expand-TestPackage([string] $Package, [string] $Destination) {
    New-Item -ItemType Directory -Force $Destination | Out-Null
    & tar -xzf $Package -C $Destination
    if ($LASTEXITCODE -ne 0) { throw "tar -xzf $Package failed" }
    $Destination
}

# Packs a folder with GNU tar the way a person would by hand.
function Compress-TestPackage([string] $Folder, [string] $Package) {
    & tar -czf $Package -C $Folder .
    if ($LASTEXITCODE -ne 0) { throw "tar -czf $Package failed" }
    $Package
}

# Writes a package with arbitrary entries through System.Formats.Tar, for hostile-archive cases.
# $Entries: ordered list of @{ Name; Data (string or byte[]); Type ('File','SymbolicLink','HardLink','Directory'); LinkName }
function New-RawTestPackage([string] $Path, [object[]] $Entries) {
    $file = [System.IO.File]::Create($Path)
    try {
        $gzip = [System.IO.Compression.GZipStream]::new($file, [System.IO.Compression.CompressionLevel]::Fastest)
        $tar = [System.Formats.Tar.TarWriter]::new($gzip, [System.Formats.Tar.TarEntryFormat]::Pax, $false)
        foreach ($e in $Entries) {
            $type = switch ($e.Type) {
                'SymbolicLink' { [System.Formats.Tar.TarEntryType]::SymbolicLink }
                'HardLink' { [System.Formats.Tar.TarEntryType]::HardLink }
                'Directory' { [System.Formats.Tar.TarEntryType]::Directory }
                default { [System.Formats.Tar.TarEntryType]::RegularFile }
            }
            $entry = [System.Formats.Tar.PaxTarEntry]::new($type, $e.Name)
            if ($e.LinkName) { $entry.LinkName = $e.LinkName }
            if ($type -eq [System.Formats.Tar.TarEntryType]::RegularFile) {
                $data = if ($e.Data -is [byte[]]) { $e.Data } else { [System.Text.Encoding]::UTF8.GetBytes([string]$e.Data) }
                $entry.DataStream = [System.IO.MemoryStream]::new($data)
            }
            $tar.WriteEntry($entry)
        }
        $tar.Dispose(); $gzip.Dispose()
    }
    finally { $file.Dispose() }
    $Path
}

# Every error a script block writes, terminating or not, as one string.
function Get-ErrorText([scriptblock] $Script) {
    $messages = [System.Collections.Generic.List[string]]::new()
    try {
        & $Script 2>&1 | ForEach-Object {
            if ($_ -is [System.Management.Automation.ErrorRecord]) { $messages.Add($_.ToString()) }
        }
    }
    catch { $messages.Add($_.ToString()) }
    $messages -join "`n"
}

# The .NET runtime's own debugger and diagnostics endpoints in the temporary folder (named pipes and sockets of every
# running .NET process, this machine's others included): not files anything wrote, and opening a pipe for reading
# waits for its other end forever.
function Test-DotnetIpcEndpoint([System.IO.FileInfo] $File) {
    $File.Name -match '^(clr-debug-pipe-\d+-\d+-(in|out)|dotnet-diagnostic-\d+-\d+-socket|CoreFxPipe_.*)$'
}

# Runs a script in a new PowerShell process, as a user opening a new shell would (the module's session state is per
# process); returns everything it printed, and leaves its exit code in $LASTEXITCODE.
function Invoke-TestShell([string] $Script) {
    # This PowerShell: pwsh itself, or (as the README starts it) dotnet running the local tool's pwsh.dll.
    $exe = [Environment]::ProcessPath
    $prefix = @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
    & $exe @prefix -NoProfile -NonInteractive -Command $Script 2>&1 | Out-String -Width 1000
}
