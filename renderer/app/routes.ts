// Where the window is: one view at a time, with what it is about.
export type Route =
  | { readonly view: 'vault' }
  | { readonly view: 'break-glass'; readonly credential: string; readonly drill?: boolean }
  | { readonly view: 'unsealed'; readonly credential: string; readonly request: string }
  | { readonly view: 'review'; readonly credential: string }
  | { readonly view: 'holder' }
  | { readonly view: 'journal' }
  | { readonly view: 'members' }
  | { readonly view: 'policy' }
  | { readonly view: 'settings' };

/** Moves the window to another view. */
export type Go = (route: Route) => void;
