# The help page "Copy your MitID app to another phone/tablet", step by step.
# Hold it beside this file: each step below is one of its numbered steps,
# in its words. The tags trace each scenario to the steps it walks.
@copy
Feature: Copy your MitID app to another phone/tablet
  If you want to copy your MitID app to another phone or tablet, you can do
  so by scanning a QR code from your existing MitID app.

  Background: Before you begin
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  # Also a release gate: a build that skips the 1-hour wait, or deactivates
  # the old app when the copy completes, turns this red (features/rules/).
  @rule-waiting-period @rule-old-app-stays-active
  @before-1 @before-2 @before-3
  @doc-1 @doc-2 @doc-3 @doc-4 @doc-5 @doc-6 @doc-7 @doc-8 @doc-9 @doc-10 @doc-11 @doc-12 @doc-13
  @doc-14 @doc-15 @doc-16 @doc-17 @doc-18 @doc-19 @doc-20 @doc-21 @doc-22 @doc-23 @doc-24 @doc-25 @doc-26
  Scenario Outline: I copy my MitID app to my new phone and approve with biometric: <biometric>
    # On the old phone, steps 1-12
    When I open the MitID app on my old phone and open the menu at the top of the screen
    And I press "Activate"
    And I press "Copy your MitID to a new app"
    And I read the information and press "Next"
    And I enter my PIN code
    And I check "Yes, I want to copy" and press "Start copying"
    Then the waiting period has started
    When I press "OK" and close the MitID app while waiting
    And 1 hour passes
    Then I receive a notification from the app that the waiting time is over
    When I open the MitID app and press "Show QR code" on the screen 'Show QR code and copy MitID to the new app'
    And I enter my PIN code
    And I read the information on the screen 'Bluetooth access is required' and press "Next"
    And I accept that the MitID app uses Bluetooth
    Then I see a QR code that is valid for 3 minutes
    # On the new phone, steps 13-26
    When I open the MitID app on my new phone
    And I press "Get started" on the screen 'Activate your MitID'
    And I choose "Copy from another MitID app" and press "Next"
    And I mark "QR code is shown on the old app" and press "Scan QR code"
    And I press "Next" on the screen 'Bluetooth access is required'
    And I accept that the MitID app uses Bluetooth
    And I scan the QR code by holding my new phone up to the QR code on my old app
    And I enter my user ID to confirm my identity and press "Next"
    And I enter the temporary PIN code that I receive via SMS
    And I press "Next" on the screen 'Choose your personal PIN code'
    And I create my personal PIN code, press "Next", repeat it and press "Next"
    And I choose <biometric> to approving with biometric
    And I accept notifications from the MitID app
    Then I see 'This app is now activated and ready to use' and press "OK"
    # After: "Your MitID app on your old phone/tablet is still active."
    And my MitID app on my old phone is still active

    @android-14
    Examples: Android phones
      | biometric |
      | yes       |

    @ios
    Examples: iPhones
      | biometric |
      | no        |

    @old-ios @new-android
    Examples: From an iPhone to an Android phone
      | biometric |
      | yes       |

    @old-android @new-ios
    Examples: From an Android phone to an iPhone
      | biometric |
      | no        |
