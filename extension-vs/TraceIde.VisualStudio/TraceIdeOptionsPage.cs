using System;
using System.ComponentModel;
using System.Linq;
using Microsoft.VisualStudio.Shell;
using TraceIde.VisualStudio.Core.Options;

namespace TraceIde.VisualStudio
{
    /// <summary>
    /// Tools › Options › TraceIde › General. Validation is TraceIdeOptions.Validate (Core, tested). The credential
    /// fields are never persisted by the page (DesignerSerializationVisibility.Hidden): on Apply they go to the
    /// Windows Credential Manager and are cleared.
    /// </summary>
    public sealed class TraceIdeOptionsPage : DialogPage
    {
        [Category("Backend"), DisplayName("Tracking server URI"), Description("http(s) URL of an MLflow tracking server. Leave empty to use a local store.")]
        public string TrackingUri { get; set; } = "";

        [
            Category("Backend"),
            DisplayName("Local store"),
            Description("A mlflow.db file, a folder holding one, or a sqlite:/// URI. Empty: the solution's mlflow.db.")]
        public string Store { get; set; } = "";

        [Category("Backend"), DisplayName("Workspace"), Description("MLflow workspace (multi-tenant servers).")]
        public string Workspace { get; set; } = "";

        [Category("View"), DisplayName("Experiment ID"), Description("Experiment opened first.")]
        public string ExperimentId { get; set; } = "";

        [Category("View"), DisplayName("Live refresh (seconds)"), Description("0 turns live refresh off.")]
        public int PollIntervalSeconds { get; set; } = 5;

        [Category("View"), DisplayName("Page size"), Description("Traces per page (1-500).")]
        public int PageSize { get; set; } = 100;

        [Category("Credentials"), DisplayName("User name"), DesignerSerializationVisibility(DesignerSerializationVisibility.Hidden)]
        public string? Username { get; set; }

        [Category("Credentials"), DisplayName("Password"), PasswordPropertyText(true), DesignerSerializationVisibility(DesignerSerializationVisibility.Hidden)]
        public string? Password { get; set; }

        [Category("Credentials"), DisplayName("Token"), PasswordPropertyText(true), DesignerSerializationVisibility(DesignerSerializationVisibility.Hidden)]
        public string? Token { get; set; }

        public event EventHandler? Applied;

        public TraceIdeOptions ToOptions() => new TraceIdeOptions
        {
            TrackingUri = TrackingUri,
            Store = Store,
            Workspace = Workspace,
            ExperimentId = ExperimentId,
            PollIntervalSeconds = PollIntervalSeconds,
            PageSize = PageSize,
        };

        protected override void OnApply(PageApplyEventArgs e)
        {
            var errors = ToOptions().Validate();
            if (errors.Count > 0)
            {
                VsShellUtilities.ShowMessageBox(Site, string.Join(Environment.NewLine, errors), "TraceIde",
                    Microsoft.VisualStudio.Shell.Interop.OLEMSGICON.OLEMSGICON_WARNING,
                    Microsoft.VisualStudio.Shell.Interop.OLEMSGBUTTON.OLEMSGBUTTON_OK,
                    Microsoft.VisualStudio.Shell.Interop.OLEMSGDEFBUTTON.OLEMSGDEFBUTTON_FIRST);
                e.ApplyBehavior = ApplyKind.CancelNoNavigate;
                return;
            }
            if (!string.IsNullOrWhiteSpace(TrackingUri) && new[] { Username, Password, Token }.Any(s => !string.IsNullOrEmpty(s)))
            {
                new Ui.WindowsCredentialStore()
                    .Write(CredentialTargets.For(TrackingUri.Trim()), new TrackingCredential { Username = Username, Password = Password, Token = Token });
                Username = Password = Token = null;
            }
            base.OnApply(e);
            Applied?.Invoke(this, EventArgs.Empty);
        }
    }
}
