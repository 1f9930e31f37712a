@{
    Synopsis    = 'Starts a provisioning server process, waits until it answers, and connects the session to it.'
    Description = @'
Runs the server published with the module (server/Provisioning.Server.dll beside the module assembly) in its own process with the dotnet host that runs PowerShell (else DOTNET_HOST_PATH, else dotnet on the PATH). The cmdlet waits until the server's health endpoint answers with the process ID of the process it started, so a different program already holding the port is never mistaken for it. If the server exits while starting (port in use, bad database spec, database unreachable, newer schema) the error carries the server's own reason; if it does not answer within -TimeoutSec it is stopped and the error says what was seen.

On its first start the server creates an admin token and writes it to admin.token in its data folder (readable by its owner only). Start-ProvServer reads it into the returned handle (as a SecureString) and makes the server the session's current server, as Connect-ProvServer does, so the next cmdlets need no -Server.

A MySQL/MariaDB or SQL Server password is never put on the command line: give it with -DatabaseCredential (recommended), or inside the -Database connection string, and it is passed to the server in the Provisioning__DatabasePassword environment variable. The handle's Database property shows the spec without it. SQL Server may also use integrated security (Integrated Security=true in the connection string), which needs no password.

With -Tls the server serves HTTPS. Without -CertificatePath it uses its own certificate authority, created on the first TLS start in tls/ under the data folder (ca.crt, and ca.key.sealed: the CA key encrypted with the server's master key): the server certificate is issued at each start, in memory, for localhost, this machine's name, 127.0.0.1, ::1, the listen address and any -HostName and -IpAddress, and renewed before it expires. With -CertificatePath the operator's certificate is served as it is (PFX, or PEM with the key in the file or -CertificateKeyPath); its password (-CertificatePassword) goes to the server through the Provisioning__CertificatePassword environment variable, never the command line. The session is connected trusting the server's CA (or the operator certificate's fingerprint), and the certificate and CA fingerprints are shown for the operator to hand out. Plain HTTP to the HTTPS port is answered with an error saying to use https.

The server keeps running after the cmdlet returns, in its own session (Ctrl+C at the prompt does not reach it); stop it with Stop-ProvServer. With -Wait it runs in the foreground instead, and Ctrl+C stops it cleanly.
'@
    Parameters  = @{
        Port                      = 'TCP port to listen on. The guide''s default is 8085.'
        DataPath                  = 'The server''s data folder: database (SQLite), file repository, logs/server.log and admin.token. Created when missing. Default: Provisioning/server under the per-user local application data folder (~/.local/share on Linux).'
        Database                  = 'Database spec: sqlite (the default: a file under the data folder), sqlite:<file> (relative to the current location), mysql:<MySqlConnector connection string> for MySQL or MariaDB, e.g. mysql:Server=db1;Database=orw_prov;User ID=prov, or sqlserver:<SqlClient connection string> for Microsoft SQL Server, e.g. sqlserver:Server=sql1;Database=orw_prov (docs/database.md, section SQL Server).'
        DatabaseCredential        = 'User name and password for a MySQL/MariaDB or SQL Server database (SQL Server authentication). The user name is added to the connection string; the password goes to the server through its environment, never its command line. Refused with a SQLite database, which needs none.'
        ListenAddress             = 'Address to listen on. 127.0.0.1 (the default) accepts connections from this machine only; 0.0.0.0 from everywhere (stations on the factory network).'
        AllowInsecureKeyTransport = 'Lets the server send gateway keys and accept package passphrases over plain HTTP from other machines. Without it such requests are refused; from this machine (loopback) they always work.'
        Tls                       = 'Serves HTTPS instead of plain HTTP, with a certificate from the server''s own CA unless -CertificatePath is given.'
        HostName                  = 'DNS names that clients use to reach the server, for the certificate of its own CA (localhost and this machine''s name are always in it).'
        IpAddress                 = 'IP addresses that clients use to reach the server, for the certificate of its own CA (127.0.0.1, ::1 and the listen address are always in it).'
        CertificatePath           = 'The operator''s server certificate: a PFX/PKCS#12 file, or a PEM file with the certificate first, then its chain, and the key (or give the key with -CertificateKeyPath). Implies -Tls.'
        CertificateKeyPath        = 'The PEM private key of -CertificatePath when it is a separate file (plain or encrypted PKCS#8).'
        CertificatePassword       = 'The password of the PFX or of the encrypted key, as a SecureString. Passed to the server in its environment, never on its command line.'
        RequireClientCertificate  = 'Station callers must present a valid station certificate (mutual TLS); admin and exporter tokens keep working. Needs -Tls.'
        Wait                      = 'Runs the server in the foreground until Ctrl+C, then stops it cleanly. The handle is written first.'
        FileServing               = 'How stations get the repository''s files (guide section 4.3): Http (the default; downloaded from the server, over HTTPS with -Tls) or SharedFileSystem (read from a network share of -RepositoryPath at -ClientRepositoryPath; -ClientRepositoryPath alone implies it).'
        RepositoryPath            = 'The file repository as the server sees it (the guide''s "Provisioning Server Top Directory"); default files under -DataPath. The server checks on start that it can write there, and says which path when it cannot.'
        ClientRepositoryPath      = 'The same folder as the stations see it (the guide''s "Provisioning Client Top Directory"), e.g. Z:\prov or /mnt/prov; Get-ProvConfig and the station API then give each file''s path there.'
        TimeoutSec                = 'Seconds to wait for the server to answer before giving up and stopping it.'
    }
    Defaults    = @{ Port = '8085'; ListenAddress = '127.0.0.1'; TimeoutSec = '30'; DataPath = '<LocalApplicationData>/Provisioning/server'; Database = 'sqlite' }
    Outputs     = @{ 'Provisioning.PowerShell.ProvServerHandle' = 'Uri, ProcessId, DataPath, Database (without password), ServerVersion, AdminToken (SecureString), LogPath, Tls, CaCertificatePath, ServerCertificate. Pipe it to Stop-ProvServer or give it to -Server.' }
    Examples    = @(
        @{
            Code    = 'Start-ProvServer -DataPath ./prov-data -FileServing SharedFileSystem -RepositoryPath /srv/provisioning -ClientRepositoryPath Z:\provisioning -WhatIf'
            Remarks = 'Shared file repository mode (guide section 4.3): the server writes files under /srv/provisioning, which a Samba share exports; Windows stations that map it as Z: read them there instead of downloading.'
        }
        @{
            Code    = '$server = Start-ProvServer -DataPath ./prov-data
Import-ProvPackage ./meter_69.tar.gz -Passphrase (Read-Host -AsSecureString "Gateway key file passphrase")
$server | Stop-ProvServer'
            Remarks = 'Starts a server on the embedded SQLite database, imports a package into it and stops it. No -Server is needed: Start-ProvServer made it the current server.'
        }
        @{
            Code    = 'Start-ProvServer -Port 8085 -ListenAddress 0.0.0.0 -Database "mysql:Server=db1;Database=orw_prov" -DatabaseCredential (Get-Credential prov) -Wait'
            Remarks = 'Runs a server for the factory network on MariaDB in the foreground until Ctrl+C. The password stays off the command line.'
        }
        @{
            Code    = '$server = Start-ProvServer -ListenAddress 0.0.0.0 -Database "sqlserver:Server=sql1.factory.lan;Database=orw_prov;Encrypt=True" -DatabaseCredential (Get-Credential prov)
$server.Database'
            Remarks = 'Starts a server on the factory''s SQL Server with a SQL Server login; the server creates or upgrades the schema on start (or a DBA runs the scripts in schema/sqlserver/ with sqlcmd first). The Database property shows the spec with the user name and without the password. If sql1 cannot be reached, the error names it and the server does not start.'
        }
        @{
            Code    = '$server = Start-ProvServer -Port 18085 -DataPath ./line2
$server.AdminToken | ConvertFrom-SecureString -AsPlainText | Set-Clipboard'
            Remarks = 'Starts a second server on another port and copies its admin token, e.g. to connect from another machine with Connect-ProvServer.'
        }
        @{
            Code    = '$server = Start-ProvServer -Tls -Port 18443 -DataPath ./prov-tls
$server.ServerCertificate.CaFingerprint
$server | Stop-ProvServer'
            Remarks = 'Starts an HTTPS server with its own CA and shows the CA fingerprint that stations pin with Connect-ProvServer -CertificateThumbprint (or give them $server.CaCertificatePath).'
        }
        @{
            Code    = 'Start-ProvServer -ListenAddress 0.0.0.0 -CertificatePath /etc/provisioning/server.pfx -CertificatePassword (Read-Host -AsSecureString "PFX password") -Wait'
            Remarks = 'Serves HTTPS to the factory network with the company''s certificate, in the foreground until Ctrl+C.'
        }
    )
    Links       = @('Stop-ProvServer', 'Connect-ProvServer', 'about_Provisioning')
}
