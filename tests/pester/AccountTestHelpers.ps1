# Signing in to the web pages as a person does: the login form (with its antiforgery token) and the session cookie.
# Returns the HTTP status of the form post (302 to the pages when signed in, 401 with the message when not) and the page text.
function Invoke-TestWebSignIn {
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [securestring] $Password)
    $login = "$($Server.Uri.AbsoluteUri.TrimEnd('/'))/provisioning/login"
    $page = Invoke-WebRequest $login -SessionVariable session
    $field = [regex]::Match($page.Content, '<input[^>]*name="__RequestVerificationToken"[^>]*>').Value
    $antiforgery = [regex]::Match($field, 'value="([^"]+)"').Groups[1].Value
    $form = @{ Name = $Name; Password = (ConvertFrom-SecureString $Password -AsPlainText); __RequestVerificationToken = $antiforgery }
    $answer = Invoke-WebRequest $login -Method Post -Body $form -WebSession $session -MaximumRedirection 0 -SkipHttpErrorCheck -ErrorAction SilentlyContinue
    [pscustomobject]@{ Status = [int]$answer.StatusCode; Text = [System.Net.WebUtility]::HtmlDecode([string]$answer.Content); Session = $session }
}
