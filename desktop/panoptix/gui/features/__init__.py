"""Controllers that wire one feature each into the window from the few collaborators it
uses (session, editor, status bar, actions...), never the window itself."""
