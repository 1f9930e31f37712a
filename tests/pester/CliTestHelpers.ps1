# Shared by the suites that run the command-line programs (provisioning_client, emcm_provision, emcm_factory).

# Runs a program as a batch file would: arguments as typed, environment variables set for the call only (a $null
# value unsets one), stdout and stderr together. Returns the exit code and the output.
function Invoke-TestProgram {
    param([Parameter(Mandatory)] [string] $File, [string[]] $Arguments = @(), [hashtable] $Environment = @{})
    $saved = @{}
    foreach ($name in $Environment.Keys) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $Environment[$name])
    }
    try {
        $output = & $File @Arguments 2>&1 | Out-String
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $output }
    }
    finally {
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
}
