# Steps 5, 6 and 9 on my old phone: my PIN code before the copy starts and
# before the QR code is shown, and my consent to the copy. Release gates for
# each (@rule-…).
@rules
Feature: My old phone asks for my PIN code and my consent
  Enter your PIN code or use biometric. As a security measure, you need to
  wait for 1 hour before you can copy your MitID app. Check Yes, I want to
  copy and press Start copying. After 1 hour: press Show QR code and enter
  your PIN code.

  Background: Before you begin
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  @rule-personal-pin @doc-5
  Scenario: A PIN code that is not mine is refused before the copy starts
    Given I have followed steps 1 to 4
    When I enter a PIN code that is not mine
    Then I am told 'The PIN code is not correct'
    And I see 'Enter your PIN code'
    When I enter my PIN code
    Then I see 'Yes, I want to copy'

  @rule-personal-pin @doc-9
  Scenario: A PIN code that is not mine is refused before the QR code is shown
    Given I have followed steps 1 to 8
    When I enter a PIN code that is not mine
    Then I am told 'The PIN code is not correct'
    And I see 'Enter your PIN code'
    When I enter my PIN code
    Then I am told 'access is required'

  # The help page says to check "Yes, I want to copy" and press "Start
  # copying"; leaving the screen without doing so must start nothing.
  @rule-copy-consent @doc-6
  Scenario: If I leave without checking "Yes, I want to copy", no copy is started
    Given I have followed steps 1 to 5
    When I press "Cancel"
    Then I see 'Your MitID app is active'
    When 1 hour passes
    Then I have not received a notification from the app that the waiting time is over
    And I do not see 'Show QR code and copy MitID to the new app'

  # Step 1 opens the menu; closing it without pressing "Activate" is going
  # back to my app, with nothing started.
  @doc-1
  Scenario: If I close the menu without pressing "Activate", I am back in my app
    When I open the MitID app on my old phone and open the menu at the top of the screen
    And I press "Close"
    Then I see 'Your MitID app is active'
    When 1 hour passes
    Then I have not received a notification from the app that the waiting time is over

  # Android's Back button leaves the consent screen as "Cancel" does: a
  # screen back, the copy not started.
  @rule-copy-consent @doc-6 @android-14
  Scenario: If I leave "Yes, I want to copy" by the Back button, no copy is started
    Given I have followed steps 1 to 5
    When I press the Back button of my phone
    Then I see 'Copy your MitID to a new app'
    And I do not see 'Yes, I want to copy'
    When 1 hour passes
    Then I have not received a notification from the app that the waiting time is over

  # "Check Yes, I want to copy and press Start copying": the tick is the
  # consent, not the button. A phone takes the tap on a disabled button and
  # does nothing; a build that lets the button start the copy fails here.
  @rule-copy-consent @rule-consent-tick @doc-6
  Scenario: Pressing "Start copying" without checking "Yes, I want to copy" starts no copy
    Given I have followed steps 1 to 5
    When I press "Start copying" without checking "Yes, I want to copy"
    Then I see 'Wait 1 hour before you copy'
    When 1 hour passes
    Then I have not received a notification from the app that the waiting time is over
    When I close the MitID app
    And I open the MitID app on my old phone
    Then I do not see 'Show QR code and copy MitID to the new app'
    And I do not see 'Copying to a new app'

  # "Enter your PIN code or use biometric (fingerprint/Touch ID/Face ID)":
  # the other way of step 5, and of step 9, with the biometric each phone
  # has (the profile names it; the farm refuses another kind).
  @rule-waiting-period @doc-5 @doc-9
  Scenario Outline: I use <biometric> instead of my PIN code before the copy starts and before the QR code is shown
    Given I have followed steps 1 to 4
    When I use biometric instead of my PIN code
    Then I see 'Yes, I want to copy'
    When I check "Yes, I want to copy" and press "Start copying"
    Then the waiting period has started
    When I press "OK" and close the MitID app while waiting
    And 1 hour passes
    And I open the MitID app and press "Show QR code" on the screen 'Show QR code and copy MitID to the new app'
    And I use biometric instead of my PIN code
    Then I am told 'access is required'

    @android-14
    Examples: Android phones
      | biometric   |
      | fingerprint |

    @ios @old-face-id
    Examples: iPhones with Face ID
      | biometric |
      | Face ID   |

    @ios @old-touch-id
    Examples: iPhones with Touch ID
      | biometric |
      | Touch ID  |

  # "Enter your PIN code or use biometric (fingerprint/Touch ID/Face ID)":
  # my own. A finger or a face the phone does not know approves nothing.
  Scenario Outline: <biometric> that is not mine approves nothing before the copy starts
    Given I have followed steps 1 to 4
    When I use a finger or face that is not mine instead of my PIN code
    Then I am told 'Not recognised'
    And I do not see 'Yes, I want to copy'

    @android-14
    Examples: Android phones
      | biometric     |
      | A fingerprint |

    @ios @old-face-id
    Examples: iPhones with Face ID
      | biometric |
      | A face    |

    @ios @old-touch-id
    Examples: iPhones with Touch ID
      | biometric         |
      | A Touch ID finger |

  # "Enter your PIN code or use biometric": biometric is a choice, not a
  # door that shuts. Cancelling the phone's biometric prompt brings the PIN
  # code back, and my PIN code still approves. (Android's prompt and Touch
  # ID's have a Cancel button from the start; Face ID's shows one only
  # after a face it does not know.)
  Scenario Outline: If I cancel <biometric>, I can enter my PIN code instead
    Given I have followed steps 1 to 4
    When I press "<use it>"
    And I press "Cancel"
    Then I see 'Enter your PIN code'
    When I enter my PIN code
    Then I see 'Yes, I want to copy'

    @android-14
    Examples: Android phones
      | biometric   | use it          |
      | fingerprint | Use fingerprint |

    @ios @old-touch-id
    Examples: iPhones with Touch ID
      | biometric | use it       |
      | Touch ID  | Use Touch ID |
