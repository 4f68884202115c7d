#Requires -Version 5.1
#Requires -RunAsAdministrator
<#
.SYNOPSIS
Removes the LdFleet relay installed by Install-LdFleetRelay.ps1: stops it, unregisters its scheduled task or
service, and deletes the executable. The settings file (with the relay's credentials) and the command journal stay
unless -RemoveData is given.

.PARAMETER InstallDirectory
Where the executable was installed. Default: %ProgramFiles%\LdFleet\Relay.

.PARAMETER DataDirectory
Where the settings and journal are. Default: %ProgramData%\LdFleet\Relay.

.PARAMETER RemoveData
Also delete the settings file and the command journal. Revoke the site's credentials as well if the PC is retired:
issue new ones (POST /api/sites/<site>/relay-credentials) or delete the site, which revokes the command-queue URLs, and
on Service Bus regenerate rule relay-<site> on ldfleet-site-<site>. The results-queue URL can only expire.

.EXAMPLE
.\Uninstall-LdFleetRelay.ps1 -RemoveData -WhatIf
#>
[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
param(
    [ValidateNotNullOrEmpty()]
    [string] $InstallDirectory = (Join-Path $env:ProgramFiles 'LdFleet\Relay'),

    [ValidateNotNullOrEmpty()]
    [string] $DataDirectory = (Join-Path $env:ProgramData 'LdFleet\Relay'),

    [switch] $RemoveData
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

# Names shared with Install-LdFleetRelay.ps1 and relay-agent/Hosting/RelayHost.cs.
$ServiceName = 'LdFleetRelay'
$TaskPath = '\LdFleet\'
$EventSource = 'LdFleet.Relay'

if ($env:OS -ne 'Windows_NT') { throw 'This script runs on Windows only.' }

$found = $false
$task = Get-ScheduledTask -TaskPath $TaskPath -TaskName $ServiceName -ErrorAction SilentlyContinue
if ($task) {
    $found = $true
    if ($PSCmdlet.ShouldProcess("scheduled task $TaskPath$ServiceName", 'Stop and remove')) {
        Stop-ScheduledTask -TaskPath $TaskPath -TaskName $ServiceName -ErrorAction SilentlyContinue
        Unregister-ScheduledTask -TaskPath $TaskPath -TaskName $ServiceName -Confirm:$false
    }
}

$service = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($service) {
    $found = $true
    if ($PSCmdlet.ShouldProcess("service $ServiceName", 'Stop and remove')) {
        Stop-Service -Name $ServiceName -Force -ErrorAction SilentlyContinue
        & sc.exe delete $ServiceName | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "sc.exe delete $ServiceName failed with exit code $LASTEXITCODE." }
    }
}

$exe = Join-Path $InstallDirectory 'LdFleet.Relay.exe'
Get-Process -Name 'LdFleet.Relay' -ErrorAction SilentlyContinue | Where-Object { $_.Path -eq $exe } | ForEach-Object {
    if ($PSCmdlet.ShouldProcess("process $($_.Id)", 'Stop the running relay')) { $_ | Stop-Process -Force; $_.WaitForExit(10000) | Out-Null }
}

if (Test-Path -LiteralPath $InstallDirectory) {
    $found = $true
    if ($PSCmdlet.ShouldProcess($InstallDirectory, 'Delete')) { Remove-Item -LiteralPath $InstallDirectory -Recurse -Force }
}

if ($RemoveData -and (Test-Path -LiteralPath $DataDirectory)) {
    if ($PSCmdlet.ShouldProcess($DataDirectory, 'Delete the settings (relay credentials) and the command journal')) {
        Remove-Item -LiteralPath $DataDirectory -Recurse -Force
    }
}
elseif (Test-Path -LiteralPath $DataDirectory) {
    Write-Host "Kept $DataDirectory (settings with the relay credentials, command journal); -RemoveData deletes it."
}

if ([Diagnostics.EventLog]::SourceExists($EventSource) -and $PSCmdlet.ShouldProcess($EventSource, 'Unregister the Event Log source')) {
    [Diagnostics.EventLog]::DeleteEventSource($EventSource)
}

if (-not $found) { Write-Host 'No LdFleet relay was installed here.' }
