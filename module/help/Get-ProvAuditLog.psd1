@{
    Synopsis    = 'Reads the server''s audit log, newest first: who imported, exported, signed in, changed accounts or tokens, and which key requests were refused.'
    Description = @'
Reads the audit log (needs an admin token). Each entry says when (At), who (ActorKind token, user or certificate, and ActorName; for a failed sign-in the name that was tried), from which address, the Action, its Target (a config ID, export ID, token ID, user name or path), whether it Succeeded, and a Detail: an import's config ID, revision and package SHA-256; an export's receipt (count, SHA-256, unresolved nodes); why a sign-in failed. The log is append-only: the database refuses to change or delete an entry. Entries come newest first; -First limits how many.

Actions: package.import, package.dryrun, export, token.create, token.revoke, certificate.issue, certificate.revoke, user.create, user.update, user.remove, login, login.failed, logout, keys.refused, server.stop.
'@
    Parameters  = @{
        From   = 'Entries at or after this time (local time unless the value says otherwise).'
        To     = 'Entries at or before this time; a date alone means the end of that day.'
        Action = 'Only this action, e.g. export or login.failed; a trailing * matches every action that starts with the text before it (login*, user.*).'
        User   = 'Only entries by this user, token or certificate name (for failed sign-ins: the name tried); case does not matter.'
        First  = 'At most this many entries, the newest. Default: every entry that matches.'
        Server = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Outputs     = @{ 'Provisioning.Core.Api.AuditEntry' = 'Id, At, ActorKind, ActorId, ActorName, Address, Action, Target, Detail, Succeeded.' }
    Examples    = @(
        @{
            Code    = 'Get-ProvAuditLog -First 20'
            Remarks = 'The twenty newest entries.'
        }
        @{
            Code    = 'Get-ProvAuditLog -Action login.failed -From (Get-Date).AddDays(-1)'
            Remarks = 'Failed sign-ins of the last day, with the name tried and the address they came from.'
        }
        @{
            Code    = 'Get-ProvAuditLog -Action export | Format-List At, ActorName, Target, Detail'
            Remarks = 'Every key export with its receipt: who exported, the export ID, and the count and SHA-256 of the file.'
        }
        @{
            Code    = 'Get-ProvAuditLog -From (Get-Date).Date -To (Get-Date).Date | Export-Csv -Path ./audit-today.csv'
            Remarks = 'Saves today''s entries for the records.'
        }
    )
    Links       = @('Get-ProvUser', 'Get-ProvStationToken', 'Export-ProvKey', 'Import-ProvPackage')
}
