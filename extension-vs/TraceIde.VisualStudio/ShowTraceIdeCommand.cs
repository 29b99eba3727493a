using System;
using System.ComponentModel.Design;
using Microsoft.VisualStudio.Shell;
using Task = System.Threading.Tasks.Task;

namespace TraceIde.VisualStudio
{
    /// <summary>View › Other Windows › TraceIde.</summary>
    internal static class ShowTraceIdeCommand
    {
        public static readonly Guid CommandSet = new Guid("9e0c4b7a-1f2d-4c3e-b5a6-7d8e9f0a1b2c");
        public const int CommandId = 0x0100;

        public static async Task InitializeAsync(AsyncPackage package)
        {
            await ThreadHelper.JoinableTaskFactory.SwitchToMainThreadAsync(package.DisposalToken);
            var commands = (OleMenuCommandService?)await package.GetServiceAsync(typeof(IMenuCommandService));
            commands?.AddCommand(new MenuCommand((_, __) => package.JoinableTaskFactory.RunAsync(async () =>
            {
                var window = await package.ShowToolWindowAsync(typeof(TraceIdeToolWindow), 0, create: true, package.DisposalToken);
                if (window?.Frame == null) throw new NotSupportedException("Cannot create the TraceIde window");
            }).FileAndForget("TraceIde/command/show"), new CommandID(CommandSet, CommandId)));
        }
    }
}
