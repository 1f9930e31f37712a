# Shared by the *.Bench.ps1 scripts (dot-sourced; build.ps1 Bench runs only *.Bench.ps1): the bench tool
# (tests/bench/Provisioning.Bench, built with the solution), how to run it, and a free loopback port.
$script:benchDll = Get-ChildItem "$PSScriptRoot/Provisioning.Bench/bin/Release" -Recurse -Filter Provisioning.Bench.dll | Select-Object -First 1
if (-not $script:benchDll) { throw 'Build first: ./build.ps1 Bench builds the solution.' }
$script:dotnet = (Get-Command dotnet).Source

function Get-FreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop(); $port
}

# Runs the bench tool; returns the JSON objects it printed, one per line.
function Invoke-Bench([string[]] $Arguments) {
    $out = & $script:dotnet $script:benchDll.FullName @Arguments
    if ($LASTEXITCODE -ne 0) { throw "Provisioning.Bench $($Arguments[0]) failed (exit code $LASTEXITCODE); its error is above." }
    $out | Where-Object { $_ -like '{*' } | ForEach-Object { $_ | ConvertFrom-Json }
}
