BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    . "$PSScriptRoot/NodeSimulatorHelpers.ps1"
}

Describe 'Stop-ProvNodeSimulator' {
    It 'stops every simulator piped to it and frees their ports' {
        $sims = 1..3 | ForEach-Object { Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId $_ }

        $sims | Stop-ProvNodeSimulator

        $sims.IsRunning | Should -Not -Contain $true
        foreach ($sim in $sims) {
            $port = [int]($sim.Endpoint -replace '.*:')
            { [Net.Sockets.TcpClient]::new('127.0.0.1', $port) } | Should -Throw
        }
    }

    It 'keeps the simulator running with -WhatIf' {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0
        try {
            $sim | Stop-ProvNodeSimulator -WhatIf
            $sim.IsRunning | Should -BeTrue
        }
        finally { $sim | Stop-ProvNodeSimulator }
    }

    It 'keeps an interrupted firmware transfer in the state file for the next start' {
        $state = Join-Path $TestDrive 'node.json'
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -StatePath $state -DropLinkAfterBytes 15000
        $client = Connect-TestNode $sim.Endpoint
        $image = New-TestImage 40000
        { Write-TestFirmware $client $image '6.0' } | Should -Throw "*$($sim.Endpoint)*"
        Close-TestNode $client
        $sim | Stop-ProvNodeSimulator

        (Get-Content $state -Raw | ConvertFrom-Json).partial.received | Should -BeGreaterThan 10000
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -StatePath $state
        try {
            $client = Connect-TestNode $sim.Endpoint
            Write-TestFirmware $client $image '6.0'
            $sim.State.FirmwareVersion | Should -Be '6.0'
            $sim.BytesReceived | Should -BeLessThan 35000
        }
        finally { Close-TestNode $client; $sim | Stop-ProvNodeSimulator }
    }
}

Describe 'Stopping a simulator or a station while its serial port is reading' -Skip:(-not (Get-Command socat -ErrorAction Ignore)) {
    BeforeAll {
        # Counts task exceptions nobody observed (a background read or write that failed after its owner stopped looking).
        if (-not ('ProvTestUnobservedTasks' -as [type])) {
            Add-Type -TypeDefinition @'
public static class ProvTestUnobservedTasks
{
    public static int Count;
    public static string Last = "";
    static ProvTestUnobservedTasks()
    {
        System.Threading.Tasks.TaskScheduler.UnobservedTaskException += (_, e) =>
        {
            System.Threading.Interlocked.Increment(ref Count);
            Last = e.Exception.ToString();
            e.SetObserved();
        };
    }
    public static int Collect() { System.GC.Collect(); System.GC.WaitForPendingFinalizers(); System.GC.Collect(); return Count; }
}
'@
        }
        $null = [ProvTestUnobservedTasks]::Collect()
        $script:unobservedBefore = [ProvTestUnobservedTasks]::Count
        function script:Wait-Until([scriptblock] $Condition, [double] $Seconds = 15) {
            $deadline = [Diagnostics.Stopwatch]::StartNew()
            while (-not (& $Condition)) {
                if ($deadline.Elapsed.TotalSeconds -gt $Seconds) { throw "Not reached within $Seconds s: $Condition" }
                [Threading.Thread]::Yield() | Out-Null
            }
        }
        $script:image = New-TestImage 300000
    }

    # Who stops first, and when: the simulator mid-transfer (the station still reading and writing), the station
    # mid-transfer (its read and a write pending while it closes), or the simulator idle after the station left (the demo's clean-up).
    It 'never fails, hangs or leaves a background error, 48 times over socat pairs' {
        $ports = Join-Path $TestDrive 'ports'
        $failures = [System.Collections.Generic.List[string]]::new()
        foreach ($i in 0..47) {
            $order = ('simulator', 'station', 'idle')[$i % 3]
            $at = 4096 + ($i * 6151) % 200000
            $pair = New-ProvVirtualSerialPair -Path $ports
            $sim = Start-ProvNodeSimulator -PortName $pair.PortB -BaudRate 921600 -StatePath (Join-Path $TestDrive "node-$i.json")
            $client = Connect-TestNode $pair.PortA
            try {
                $transfer = $client.WriteImageAsync('Firmware', $image, '2.0', $null, [Threading.CancellationToken]::None)
                if ($order -eq 'idle') { $null = $transfer.GetAwaiter().GetResult(); Close-TestNode $client }
                else { Wait-Until { $sim.BytesReceived -ge $at -or $transfer.IsCompleted } }
                if ($order -eq 'station') {
                    $closing = $client.DisposeAsync().AsTask()
                    if (-not $closing.Wait(10000)) { $failures.Add("$i station close hung") }
                }
                $stopped = [Diagnostics.Stopwatch]::StartNew()
                try { $sim | Stop-ProvNodeSimulator -ErrorAction Stop }
                catch { $failures.Add("$i ($order at $at): $($_.Exception.GetType().Name): $_") }
                if ($stopped.Elapsed.TotalSeconds -gt 5) { $failures.Add("$i ($order) stop took $($stopped.Elapsed.TotalSeconds) s") }
                if ($sim.IsRunning) { $failures.Add("$i ($order) still running") }
                # With the cable gone too (socat ends), the station's transfer ends one way or another, and promptly.
                $pair | Remove-ProvVirtualSerialPair
                try { $null = ([Threading.Tasks.Task]$transfer).Wait(10000) } catch [AggregateException] { }
                if (-not $transfer.IsCompleted) { $failures.Add("$i ($order) transfer never ended") }
            }
            finally {
                Close-TestNode $client
                $pair | Remove-ProvVirtualSerialPair
            }
        }
        $failures | Should -BeNullOrEmpty
        [ProvTestUnobservedTasks]::Collect() - $unobservedBefore | Should -Be 0 -Because ([ProvTestUnobservedTasks]::Last)
    }
}
